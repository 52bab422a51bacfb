package io.siman.models.pytorch;

import io.siman.api.InvalidDataException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * A file written by {@code torch.save} (the zip format of PyTorch 1.6 and later), read without Python: the zip's
 * {@code data.pkl} through the restricted {@link Pickle} reader (tensors, storages, dicts, lists, numbers and strings;
 * every other class is refused, nothing is executed), tensor data from the storage records on demand. Every problem
 * is an {@link InvalidDataException} naming the file; sizes are checked against the file before memory is allocated.
 */
public final class TorchFile implements AutoCloseable {
    /** Largest {@code data.pkl} read: a state dict's pickle is kilobytes. */
    static final long MAX_PICKLE_BYTES = 64L << 20;
    /** Deflate cannot expand more than about 1032 times: a larger declared size is a lie. */
    private static final long MAX_DEFLATE_RATIO = 1032;

    /** Element types of PyTorch storages (the {@code torch.XStorage} classes). */
    public enum ElementType {
        FLOAT(4), DOUBLE(8), HALF(2), BFLOAT16(2), LONG(8), INT(4), SHORT(2), CHAR(1), BYTE(1), BOOL(1);

        final int bytes;

        ElementType(int bytes) {
            this.bytes = bytes;
        }

        static ElementType ofStorageClass(String name) {
            return switch (name) {
                case "FloatStorage" -> FLOAT;
                case "DoubleStorage" -> DOUBLE;
                case "HalfStorage" -> HALF;
                case "BFloat16Storage" -> BFLOAT16;
                case "LongStorage" -> LONG;
                case "IntStorage" -> INT;
                case "ShortStorage" -> SHORT;
                case "CharStorage" -> CHAR;
                case "ByteStorage" -> BYTE;
                case "BoolStorage" -> BOOL;
                default -> null;
            };
        }
    }

    /** A storage record: {@code data/KEY} of the archive, {@code numel} elements of {@code type}. */
    public record Storage(String key, ElementType type, long numel) {
    }

    /** A tensor: a strided view of a storage. */
    public record Tensor(Storage storage, long offset, int[] size, long[] stride) {
        public long numel() {
            long n = 1;
            for (int s : size) {
                n *= s;
            }
            return n;
        }

        public String shapeText() {
            return java.util.Arrays.toString(size);
        }
    }

    /** A value the reader keeps but does not interpret (a numpy scalar beside the state dict, say). */
    public record Opaque(String what) {
    }

    private final Path file;
    private final ZipFile zip;
    private final String prefix;
    private final ByteOrder order;
    private final Object root;

    private TorchFile(Path file, ZipFile zip, String prefix, ByteOrder order, Object root) {
        this.file = file;
        this.zip = zip;
        this.prefix = prefix;
        this.order = order;
        this.root = root;
    }

    /** Opens and unpickles {@code file}; the tensors' data is read later, by {@link #floats}. */
    public static TorchFile open(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new InvalidDataException(file + ": no such file");
        }
        ZipFile zip;
        try {
            zip = new ZipFile(file.toFile());
        } catch (ZipException e) {
            throw new InvalidDataException(file + ": not a PyTorch checkpoint (not a zip archive" + legacyHint(file) + ")");
        } catch (IOException e) {
            throw new InvalidDataException(file + ": cannot be read (" + e.getMessage() + ")");
        }
        try {
            String prefix = null;
            for (var entries = zip.entries(); entries.hasMoreElements(); ) {
                String name = entries.nextElement().getName();
                if (name.endsWith("/data.pkl") && name.indexOf('/') == name.length() - "/data.pkl".length()) {
                    prefix = name.substring(0, name.length() - "data.pkl".length());
                    break;
                }
            }
            if (prefix == null) {
                throw new InvalidDataException(file + ": a zip archive without data.pkl, so not written by torch.save");
            }
            ByteOrder order = ByteOrder.LITTLE_ENDIAN;
            ZipEntry byteOrder = zip.getEntry(prefix + "byteorder");
            if (byteOrder != null && new String(read(file, zip, byteOrder, 16), StandardCharsets.US_ASCII).trim().equals("big")) {
                order = ByteOrder.BIG_ENDIAN;
            }
            byte[] pickle = read(file, zip, zip.getEntry(prefix + "data.pkl"), MAX_PICKLE_BYTES);
            Object root;
            try {
                root = Pickle.read(pickle, new TorchPolicy());
            } catch (Pickle.PickleException e) {
                throw new InvalidDataException(file + ": " + e.getMessage());
            }
            return new TorchFile(file, zip, prefix, order, root);
        } catch (RuntimeException e) {
            closeQuietly(zip);
            throw e;
        }
    }

    private static String legacyHint(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] head = in.readNBytes(2);
            // the pre-1.6 format starts with a pickled magic number (protocol 2: 0x80 0x02)
            return head.length == 2 && (head[0] & 0xff) == 0x80 ? "; a checkpoint of PyTorch before 1.6: load it in PyTorch"
                    + " and save it again with torch.save" : "";
        } catch (IOException e) {
            return "";
        }
    }

    /** The unpickled object: a state dict, or a training script's dict holding one. */
    public Object root() {
        return root;
    }

    public Path path() {
        return file;
    }

    /**
     * The state dict: the root when it maps names to tensors, else the first of its entries {@code state_dict},
     * {@code model_state_dict}, {@code model}, {@code net} or {@code state} that does (a training script's checkpoint);
     * the {@code module.} prefix of {@code DataParallel} removed.
     */
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> found = tensors(root);
        if (found == null && root instanceof Map<?, ?> m) {
            for (String k : List.of("state_dict", "model_state_dict", "model", "net", "state")) {
                found = tensors(m.get(k));
                if (found != null) {
                    break;
                }
            }
        }
        if (found == null) {
            throw new InvalidDataException(file + ": holds no state dict (a dict of tensors, at the top or under 'state_dict')");
        }
        boolean allPrefixed = found.keySet().stream().allMatch(k -> k.startsWith("module."));
        if (!allPrefixed) {
            return found;
        }
        Map<String, Tensor> stripped = new LinkedHashMap<>();
        found.forEach((k, v) -> stripped.put(k.substring("module.".length()), v));
        return Collections.unmodifiableMap(stripped);
    }

    /** The value under {@code key} of the root dict, or null. */
    public Object entry(String key) {
        return root instanceof Map<?, ?> m ? m.get(key) : null;
    }

    private static Map<String, Tensor> tensors(Object o) {
        if (!(o instanceof Map<?, ?> m) || m.isEmpty()) {
            return null;
        }
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : m.entrySet()) {
            if (!(e.getKey() instanceof String k) || !(e.getValue() instanceof Tensor t)) {
                return null;
            }
            out.put(k, t);
        }
        return Collections.unmodifiableMap(out);
    }

    /** The tensor's values as floats, row-major, read from its storage (checked against the archive). */
    public float[] floats(String name, Tensor t) {
        long numel = t.numel();
        if (numel > Integer.MAX_VALUE - 8) {
            throw new InvalidDataException(file + ": tensor '" + name + "' has " + numel + " elements, more than one array holds");
        }
        long last = t.offset();
        for (int d = 0; d < t.size().length; d++) {
            if (t.size()[d] > 0) {
                last += (t.size()[d] - 1) * t.stride()[d];
            }
        }
        if (numel > 0 && (t.offset() < 0 || last >= t.storage().numel())) {
            throw new InvalidDataException(file + ": tensor '" + name + "' reaches element " + last + " of a storage of "
                    + t.storage().numel());
        }
        ByteBuffer bytes = storageBytes(name, t.storage());
        float[] out = new float[(int) numel];
        int[] index = new int[t.size().length];
        for (int i = 0; i < out.length; i++) {
            long at = t.offset();
            for (int d = 0; d < index.length; d++) {
                at += index[d] * t.stride()[d];
            }
            out[i] = element(bytes, t.storage().type(), (int) at);
            for (int d = index.length - 1; d >= 0; d--) {
                if (++index[d] < t.size()[d]) {
                    break;
                }
                index[d] = 0;
            }
        }
        return out;
    }

    private final Map<String, ByteBuffer> loaded = new HashMap<>();

    private ByteBuffer storageBytes(String tensor, Storage s) {
        ByteBuffer cached = loaded.get(s.key());
        if (cached != null) {
            return cached;
        }
        ZipEntry e = zip.getEntry(prefix + "data/" + s.key());
        if (e == null) {
            throw new InvalidDataException(file + ": tensor '" + tensor + "' refers to storage " + s.key() + ", which the archive lacks");
        }
        long need = s.numel() * s.type().bytes;
        if (e.getSize() >= 0 && e.getSize() < need) {
            throw new InvalidDataException(file + ": storage " + s.key() + " declares " + s.numel() + " elements but holds "
                    + e.getSize() + " bytes");
        }
        byte[] data = read(file, zip, e, need);
        if (data.length < need) {
            throw new InvalidDataException(file + ": storage " + s.key() + " is truncated (" + data.length + " of " + need + " bytes)");
        }
        ByteBuffer b = ByteBuffer.wrap(data).order(order);
        loaded.put(s.key(), b);
        return b;
    }

    private static float element(ByteBuffer b, ElementType type, int i) {
        return switch (type) {
            case FLOAT -> b.getFloat(i * 4);
            case DOUBLE -> (float) b.getDouble(i * 8);
            case HALF -> Float.float16ToFloat(b.getShort(i * 2));
            case BFLOAT16 -> Float.intBitsToFloat((b.getShort(i * 2) & 0xffff) << 16);
            case LONG -> b.getLong(i * 8);
            case INT -> b.getInt(i * 4);
            case SHORT -> b.getShort(i * 2);
            case CHAR -> b.get(i);
            case BYTE, BOOL -> b.get(i) & 0xff;
        };
    }

    /**
     * Reads at most {@code limit} bytes of an entry, refusing sizes the archive cannot hold (a stored entry larger
     * than the file, a deflated one beyond deflate's ratio) before allocating.
     */
    private static byte[] read(Path file, ZipFile zip, ZipEntry e, long limit) {
        long declared = e.getSize();
        long packed = e.getCompressedSize();
        long fileSize;
        try {
            fileSize = Files.size(file);
        } catch (IOException ex) {
            throw new InvalidDataException(file + ": cannot be read (" + ex.getMessage() + ")");
        }
        long bound = e.getMethod() == ZipEntry.STORED ? fileSize : Math.max(packed, 0) * MAX_DEFLATE_RATIO;
        if (declared > limit || declared > bound || declared > Integer.MAX_VALUE - 8) {
            throw new InvalidDataException(file + ": entry " + e.getName() + " declares " + declared + " bytes, more than the"
                    + " archive can hold or than is expected (" + Math.min(limit, bound) + ")");
        }
        try (InputStream in = zip.getInputStream(e)) {
            byte[] data = in.readNBytes((int) (declared >= 0 ? declared : Math.min(limit, bound)));
            if (declared >= 0 && data.length != declared) {
                throw new InvalidDataException(file + ": entry " + e.getName() + " is truncated (" + data.length + " of "
                        + declared + " bytes)");
            }
            return data;
        } catch (IOException ex) {
            throw new InvalidDataException(file + ": entry " + e.getName() + " cannot be read (" + ex.getMessage() + ")");
        }
    }

    private static void closeQuietly(ZipFile zip) {
        try {
            zip.close();
        } catch (IOException ignored) {
            // nothing was written
        }
    }

    @Override
    public void close() {
        closeQuietly(zip);
    }

    /**
     * What {@code torch.save}'s pickles may hold: ordered dicts, tensors rebuilt from storages, parameters,
     * numpy scalars (kept opaque) and {@code _codecs.encode} (how protocol 2 writes bytes). Nothing else.
     */
    static final class TorchPolicy implements Pickle.Policy {
        private static final Set<String> OPAQUE = Set.of("numpy.core.multiarray.scalar", "numpy._core.multiarray.scalar",
                "numpy.dtype");
        private final Map<String, Storage> storages = new HashMap<>();

        @Override
        public boolean allows(Pickle.Global g) {
            String n = g.toString();
            return n.equals("collections.OrderedDict") || n.equals("torch._utils._rebuild_tensor_v2")
                    || n.equals("torch._utils._rebuild_tensor") || n.equals("torch._utils._rebuild_parameter")
                    || n.equals("torch._utils._rebuild_parameter_with_state") || n.equals("_codecs.encode") || OPAQUE.contains(n)
                    || g.module().equals("torch") && ElementType.ofStorageClass(g.name()) != null;
        }

        @Override
        public Object call(Pickle.Global f, Pickle.Tuple args) {
            String n = f.toString();
            switch (n) {
                case "collections.OrderedDict" -> {
                    LinkedHashMap<Object, Object> m = new LinkedHashMap<>();
                    if (args.size() == 0) {
                        return m;
                    }
                    throw new Pickle.PickleException("OrderedDict built from arguments, which torch.save does not write");
                }
                case "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor" -> {
                    if (args.size() < 4) {
                        throw new Pickle.PickleException(n + " with " + args.size() + " arguments");
                    }
                    return tensor(args.get(0), args.get(1), args.get(2), args.get(3));
                }
                case "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state" -> {
                    if (args.size() < 1 || !(args.get(0) instanceof Tensor t)) {
                        throw new Pickle.PickleException(n + " without a tensor");
                    }
                    return t;
                }
                case "_codecs.encode" -> {
                    if (args.size() == 2 && args.get(0) instanceof String s && "latin1".equals(args.get(1))) {
                        return s.getBytes(StandardCharsets.ISO_8859_1);
                    }
                    throw new Pickle.PickleException("_codecs.encode with arguments other than (str, 'latin1')");
                }
                default -> {
                    if (OPAQUE.contains(n)) {
                        return new Opaque(n);
                    }
                    throw new Pickle.PickleException("refused call of " + n);
                }
            }
        }

        @Override
        public Object build(Object target, Object state) {
            // an ordered dict's attributes (the state dict's _metadata) and a numpy dtype's state are not needed
            if (target instanceof Map<?, ?> || target instanceof Opaque || target instanceof Tensor) {
                return target;
            }
            throw new Pickle.PickleException("refused to set the state of a " + Pickle.typeName(target));
        }

        @Override
        public Object persistentLoad(Object pid) {
            if (!(pid instanceof Pickle.Tuple t) || t.size() < 5 || !"storage".equals(t.get(0))
                    || !(t.get(1) instanceof Pickle.Global cls) || !(t.get(2) instanceof String key)
                    || !(t.get(4) instanceof Long numel)) {
                throw new Pickle.PickleException("a persistent id that is not a storage record");
            }
            ElementType type = ElementType.ofStorageClass(cls.name());
            if (type == null) {
                throw new Pickle.PickleException("storage of unknown type " + cls);
            }
            if (numel < 0 || key.contains("/") || key.contains("..")) {
                throw new Pickle.PickleException("storage record '" + key + "' of " + numel + " elements");
            }
            Storage s = new Storage(key, type, numel);
            Storage before = storages.putIfAbsent(key, s);
            if (before != null && !before.equals(s)) {
                throw new Pickle.PickleException("storage " + key + " described twice, differently");
            }
            return before != null ? before : s;
        }

        private static Tensor tensor(Object storage, Object offset, Object size, Object stride) {
            if (!(storage instanceof Storage s) || !(offset instanceof Long off) || !(size instanceof Pickle.Tuple sz)
                    || !(stride instanceof Pickle.Tuple st) || sz.size() != st.size() || sz.size() > 8) {
                throw new Pickle.PickleException("a tensor record that is not (storage, offset, size, stride)");
            }
            int[] dims = new int[sz.size()];
            long[] strides = new long[st.size()];
            long numel = 1;
            for (int i = 0; i < dims.length; i++) {
                if (!(sz.get(i) instanceof Long d) || d < 0 || d > Integer.MAX_VALUE || !(st.get(i) instanceof Long str) || str < 0) {
                    throw new Pickle.PickleException("a tensor with size " + sz.items() + " and stride " + st.items());
                }
                dims[i] = (int) (long) d;
                strides[i] = str;
                numel *= d;
                if (numel > Integer.MAX_VALUE) {
                    throw new Pickle.PickleException("a tensor of size " + sz.items() + ", more elements than one array holds");
                }
            }
            if (off < 0) {
                throw new Pickle.PickleException("a tensor at storage offset " + off);
            }
            return new Tensor(s, off, dims, strides);
        }
    }
}
