package io.siman.backend.gpu;

import io.siman.api.DeviceInfo;
import org.jocl.CL;
import org.jocl.Pointer;
import org.jocl.cl_device_id;
import org.jocl.cl_platform_id;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Enumerates OpenCL devices through JOCL. */
final class OpenClDevices {
    /** One device, with what selection needs to know about it. */
    record Found(cl_platform_id platform, cl_device_id device, String platformName, DeviceInfo info, boolean gpu) {
    }

    private OpenClDevices() {
    }

    /** Every device of every platform; throws {@link LinkageError} when there is no OpenCL library. */
    static List<Found> list() {
        CL.setExceptionsEnabled(true);
        int[] count = new int[1];
        CL.clGetPlatformIDs(0, null, count);
        cl_platform_id[] platforms = new cl_platform_id[count[0]];
        if (count[0] > 0) {
            CL.clGetPlatformIDs(count[0], platforms, null);
        }
        List<Found> found = new ArrayList<>();
        for (cl_platform_id p : platforms) {
            String platformName = platformString(p, CL.CL_PLATFORM_NAME);
            int[] n = new int[1];
            try {
                CL.clGetDeviceIDs(p, CL.CL_DEVICE_TYPE_ALL, 0, null, n);
            } catch (org.jocl.CLException e) {
                continue; // CL_DEVICE_NOT_FOUND on an empty platform
            }
            cl_device_id[] devices = new cl_device_id[n[0]];
            CL.clGetDeviceIDs(p, CL.CL_DEVICE_TYPE_ALL, n[0], devices, null);
            for (cl_device_id d : devices) {
                long type = deviceLong(d, CL.CL_DEVICE_TYPE);
                boolean gpu = (type & CL.CL_DEVICE_TYPE_GPU) != 0;
                DeviceInfo info = new DeviceInfo(deviceString(d, CL.CL_DEVICE_NAME).trim() + " (" + platformName + ")",
                        gpu ? "gpu" : (type & CL.CL_DEVICE_TYPE_CPU) != 0 ? "cpu" : "accelerator",
                        deviceLong(d, CL.CL_DEVICE_GLOBAL_MEM_SIZE), deviceInt(d, CL.CL_DEVICE_MAX_COMPUTE_UNITS));
                found.add(new Found(p, d, platformName, info, gpu));
            }
        }
        return found;
    }

    private static String platformString(cl_platform_id p, int param) {
        long[] size = new long[1];
        CL.clGetPlatformInfo(p, param, 0, null, size);
        byte[] buf = new byte[(int) size[0]];
        CL.clGetPlatformInfo(p, param, buf.length, Pointer.to(buf), null);
        return cString(buf);
    }

    private static String deviceString(cl_device_id d, int param) {
        long[] size = new long[1];
        CL.clGetDeviceInfo(d, param, 0, null, size);
        byte[] buf = new byte[(int) size[0]];
        CL.clGetDeviceInfo(d, param, buf.length, Pointer.to(buf), null);
        return cString(buf);
    }

    private static long deviceLong(cl_device_id d, int param) {
        long[] v = new long[1];
        CL.clGetDeviceInfo(d, param, Long.BYTES, Pointer.to(v), null);
        return v[0];
    }

    private static int deviceInt(cl_device_id d, int param) {
        int[] v = new int[1];
        CL.clGetDeviceInfo(d, param, Integer.BYTES, Pointer.to(v), null);
        return v[0];
    }

    private static String cString(byte[] buf) {
        int end = 0;
        while (end < buf.length && buf[end] != 0) {
            end++;
        }
        return new String(buf, 0, end, StandardCharsets.UTF_8);
    }
}
