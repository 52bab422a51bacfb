// SiMaN-J's kernel contract in OpenCL C 1.2 (io.siman.api.Kernels documents each operation).
// Every output element is computed by one work-item, or by one work-group through a fixed reduction tree,
// so results never depend on scheduling. Reductions accumulate in float: partial sums per work-item over a
// strided slice, then a tree over the work-group (the local size is a power of two).

// ------------------------------------------------------------------------------------------------ helpers

// Sum of v over the work-group, returned to every work-item. scratch holds get_local_size(0) floats.
float group_sum(__local float* scratch, float v) {
    int lid = get_local_id(0), n = get_local_size(0);
    scratch[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = n / 2; s > 0; s >>= 1) {
        if (lid < s) {
            scratch[lid] += scratch[lid + s];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    float r = scratch[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return r;
}

float sign_of(float v) {
    return (v + 0.0f) >= 0.0f ? 1.0f : -1.0f; // sign(0) = +1, and -0 counts as 0
}

// ------------------------------------------------------------------------------------------------ element-wise

__kernel void fill_f(__global float* x, float v, int n) {
    int i = get_global_id(0);
    if (i < n) x[i] = v;
}

__kernel void add_f(__global const float* a, __global const float* b, __global float* o, int n) {
    int i = get_global_id(0);
    if (i < n) o[i] = a[i] + b[i];
}

__kernel void axpy_f(float alpha, __global const float* x, __global float* y, int n) {
    int i = get_global_id(0);
    if (i < n) y[i] = fma(alpha, x[i], y[i]);
}

__kernel void sign_f(__global const float* x, __global float* o, int n) {
    int i = get_global_id(0);
    if (i < n) o[i] = sign_of(x[i]);
}

__kernel void mul_sign(__global const float* x, __global const float* s, __global float* o, int n) {
    int i = get_global_id(0);
    if (i < n) o[i] = x[i] * sign_of(s[i]);
}

// ------------------------------------------------------------------------------------------------ dense

__kernel void linear_forward(__global const float* x, __global const float* w, __global const float* bias,
                             __global float* y, int n, int in, int out) {
    int i = get_global_id(0);
    if (i >= n * out) return;
    int r = i / out, o = i % out;
    float s = 0.0f;
    for (int k = 0; k < in; k++) s = fma(x[r * in + k], w[o * in + k], s);
    y[i] = bias ? s + bias[o] : s;
}

__kernel void linear_backward_x(__global const float* dy, __global const float* w, __global float* dx, int n, int in, int out) {
    int i = get_global_id(0);
    if (i >= n * in) return;
    int r = i / in, k = i % in;
    float s = 0.0f;
    for (int o = 0; o < out; o++) s = fma(dy[r * out + o], w[o * in + k], s);
    dx[i] = s;
}

__kernel void linear_backward_w(__global const float* x, __global const float* dy, __global float* dw, int n, int in, int out) {
    int i = get_global_id(0);
    if (i >= out * in) return;
    int o = i / in, k = i % in;
    float s = 0.0f;
    for (int r = 0; r < n; r++) s = fma(dy[r * out + o], x[r * in + k], s);
    dw[i] = s;
}

__kernel void linear_backward_b(__global const float* dy, __global float* db, int n, int out) {
    int o = get_global_id(0);
    if (o >= out) return;
    float s = 0.0f;
    for (int r = 0; r < n; r++) s += dy[r * out + o];
    db[o] = s;
}

// ------------------------------------------------------------------------------------------------ convolution
// geometry: batch, ci, h, w, co, kh, kw, stride, pad, ho, wo

__kernel void conv_forward(__global const float* x, __global const float* w, __global float* y,
                           int batch, int ci, int h, int wd, int co, int kh, int kw, int stride, int pad, int ho, int wo) {
    int i = get_global_id(0);
    if (i >= batch * co * ho * wo) return;
    int ox = i % wo, oy = (i / wo) % ho, o = (i / (wo * ho)) % co, n = i / (wo * ho * co);
    float s = 0.0f;
    for (int c = 0; c < ci; c++) {
        for (int ky = 0; ky < kh; ky++) {
            int iy = oy * stride - pad + ky;
            if (iy < 0 || iy >= h) continue;
            for (int kx = 0; kx < kw; kx++) {
                int ix = ox * stride - pad + kx;
                if (ix < 0 || ix >= wd) continue;
                s = fma(x[((n * ci + c) * h + iy) * wd + ix], w[((o * ci + c) * kh + ky) * kw + kx], s);
            }
        }
    }
    y[i] = s;
}

__kernel void conv_backward_data(__global const float* dy, __global const float* w, __global float* dx,
                                 int batch, int ci, int h, int wd, int co, int kh, int kw, int stride, int pad, int ho, int wo) {
    int i = get_global_id(0);
    if (i >= batch * ci * h * wd) return;
    int ix = i % wd, iy = (i / wd) % h, c = (i / (wd * h)) % ci, n = i / (wd * h * ci);
    float s = 0.0f;
    for (int o = 0; o < co; o++) {
        for (int ky = 0; ky < kh; ky++) {
            int ty = iy + pad - ky;
            if (ty < 0 || ty % stride != 0 || ty / stride >= ho) continue;
            for (int kx = 0; kx < kw; kx++) {
                int tx = ix + pad - kx;
                if (tx < 0 || tx % stride != 0 || tx / stride >= wo) continue;
                s = fma(dy[((n * co + o) * ho + ty / stride) * wo + tx / stride], w[((o * ci + c) * kh + ky) * kw + kx], s);
            }
        }
    }
    dx[i] = s;
}

// One work-group per weight; with a threshold buffer the input is sign(x - threshold[n]) (padding 0).
__kernel void conv_backward_weights(__global const float* x, __global const float* threshold, __global const float* dy,
                                    __global float* dw, __local float* scratch,
                                    int batch, int ci, int h, int wd, int co, int kh, int kw, int stride, int pad, int ho, int wo) {
    int g = get_group_id(0), lid = get_local_id(0), ls = get_local_size(0);
    int kx = g % kw, ky = (g / kw) % kh, c = (g / (kw * kh)) % ci, o = g / (kw * kh * ci);
    int per = ho * wo, total = batch * per;
    float s = 0.0f;
    for (int j = lid; j < total; j += ls) {
        int n = j / per, p = j % per, oy = p / wo, ox = p % wo;
        int iy = oy * stride - pad + ky, ix = ox * stride - pad + kx;
        if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
        float v = x[((n * ci + c) * h + iy) * wd + ix];
        if (threshold) v = v >= threshold[n] ? 1.0f : -1.0f;
        s = fma(dy[((n * co + o) * ho + oy) * wo + ox], v, s);
    }
    s = group_sum(scratch, s);
    if (lid == 0) dw[g] = s;
}

// ------------------------------------------------------------------------------------------------ per-channel scale

__kernel void channel_scale(__global const float* x, __global const float* scale, __global float* y, int n, int c, int plane) {
    int i = get_global_id(0);
    if (i < n) y[i] = x[i] * scale[(i / plane) % c];
}

__kernel void channel_affine(__global const float* x, __global const float* scale, __global const float* bias, __global float* y,
                             int n, int c, int plane) {
    int i = get_global_id(0);
    if (i < n) { int ch = (i / plane) % c; y[i] = fma(x[i], scale[ch], bias[ch]); }
}

__kernel void row_scale(__global const float* x, __global const float* scale, __global float* y, int n, int row) {
    int i = get_global_id(0);
    if (i < n) y[i] = x[i] * scale[i / row];
}

// One work-group per channel: dscale[c] = sum of dy * x over samples and positions.
__kernel void channel_dot(__global const float* a, __global const float* b, __global float* out, __local float* scratch,
                          int batch, int c, int plane) {
    int ch = get_group_id(0), lid = get_local_id(0), ls = get_local_size(0), total = batch * plane;
    float s = 0.0f;
    for (int j = lid; j < total; j += ls) {
        int at = ((j / plane) * c + ch) * plane + j % plane;
        s = fma(a[at], b[at], s);
    }
    s = group_sum(scratch, s);
    if (lid == 0) out[ch] = s;
}

// ------------------------------------------------------------------------------------------------ batch normalization

// One work-group per channel: batch statistics, normalization, running averages.
__kernel void bn_training(__global const float* x, __global const float* gamma, __global const float* beta,
                          __global float* rmean, __global float* rvar, float momentum, float eps,
                          __global float* y, __global float* smean, __global float* sinv, __local float* scratch,
                          int batch, int c, int plane) {
    int ch = get_group_id(0), lid = get_local_id(0), ls = get_local_size(0), total = batch * plane;
    float s = 0.0f;
    for (int j = lid; j < total; j += ls) s += x[((j / plane) * c + ch) * plane + j % plane];
    float mean = group_sum(scratch, s) / total;
    float q = 0.0f;
    for (int j = lid; j < total; j += ls) { float d = x[((j / plane) * c + ch) * plane + j % plane] - mean; q = fma(d, d, q); }
    float sq = group_sum(scratch, q);
    float inv = rsqrt(sq / total + eps);
    float scale = gamma[ch] * inv, shift = beta[ch] - mean * gamma[ch] * inv;
    for (int j = lid; j < total; j += ls) {
        int at = ((j / plane) * c + ch) * plane + j % plane;
        y[at] = fma(x[at], scale, shift);
    }
    if (lid == 0) {
        smean[ch] = mean;
        sinv[ch] = inv;
        rmean[ch] = (1.0f - momentum) * rmean[ch] + momentum * mean;
        rvar[ch] = (1.0f - momentum) * rvar[ch] + momentum * sq / (total - 1);
    }
}

__kernel void bn_inference(__global const float* x, __global const float* gamma, __global const float* beta,
                           __global const float* rmean, __global const float* rvar, float eps, __global float* y,
                           int n, int c, int plane) {
    int i = get_global_id(0);
    if (i >= n) return;
    int ch = (i / plane) % c;
    float inv = rsqrt(rvar[ch] + eps);
    y[i] = fma(x[i], gamma[ch] * inv, beta[ch] - rmean[ch] * gamma[ch] * inv);
}

__kernel void bn_backward(__global const float* x, __global const float* dy, __global const float* gamma,
                          __global const float* smean, __global const float* sinv, __global float* dx,
                          __global float* dgamma, __global float* dbeta, __local float* scratch, int batch, int c, int plane) {
    int ch = get_group_id(0), lid = get_local_id(0), ls = get_local_size(0), total = batch * plane;
    float mean = smean[ch], inv = sinv[ch];
    float sd = 0.0f, sdx = 0.0f;
    for (int j = lid; j < total; j += ls) {
        int at = ((j / plane) * c + ch) * plane + j % plane;
        sd += dy[at];
        sdx = fma(dy[at], (x[at] - mean) * inv, sdx);
    }
    float sumDy = group_sum(scratch, sd), sumDyXhat = group_sum(scratch, sdx);
    float k = gamma[ch] * inv, meanDy = sumDy / total, meanDyXhat = sumDyXhat / total;
    for (int j = lid; j < total; j += ls) {
        int at = ((j / plane) * c + ch) * plane + j % plane;
        float xhat = (x[at] - mean) * inv;
        dx[at] = k * (dy[at] - meanDy - xhat * meanDyXhat);
    }
    if (lid == 0) { dgamma[ch] = sumDyXhat; dbeta[ch] = sumDy; }
}

// ------------------------------------------------------------------------------------------------ activations

__kernel void activation_f(int kind, __global const float* x, __global float* y, int n) {
    int i = get_global_id(0);
    if (i >= n) return;
    y[i] = kind == 0 ? fmax(0.0f, x[i]) : fmax(-1.0f, fmin(1.0f, x[i]));
}

__kernel void activation_backward(int kind, __global const float* x, __global const float* dy, __global float* dx, int n) {
    int i = get_global_id(0);
    if (i >= n) return;
    float v = x[i];
    dx[i] = (kind == 0 ? v > 0.0f : (v >= -1.0f && v <= 1.0f)) ? dy[i] : 0.0f;
}

__kernel void prelu_f(__global const float* x, __global const float* slope, __global float* y, int n, int c, int plane) {
    int i = get_global_id(0);
    if (i >= n) return;
    float v = x[i];
    y[i] = fmax(v, 0.0f) + slope[(i / plane) % c] * fmin(v, 0.0f);
}

__kernel void prelu_backward_x(__global const float* x, __global const float* slope, __global const float* dy, __global float* dx,
                               int n, int c, int plane) {
    int i = get_global_id(0);
    if (i >= n) return;
    dx[i] = x[i] < 0.0f ? dy[i] * slope[(i / plane) % c] : dy[i];
}

// One work-group per channel: sum of dy * min(x, 0).
__kernel void prelu_backward_slope(__global const float* x, __global const float* dy, __global float* dslope, __local float* scratch,
                                   int batch, int c, int plane) {
    int ch = get_group_id(0), lid = get_local_id(0), ls = get_local_size(0), total = batch * plane;
    float s = 0.0f;
    for (int j = lid; j < total; j += ls) {
        int at = ((j / plane) * c + ch) * plane + j % plane;
        s = fma(dy[at], fmin(x[at], 0.0f), s);
    }
    s = group_sum(scratch, s);
    if (lid == 0) dslope[ch] = s;
}

// ------------------------------------------------------------------------------------------------ pooling
// pooling geometry: planes (batch * channels), h, w, k, stride, pad, ho, wo

__kernel void max_pool(__global const float* x, __global float* y, __global int* argmax,
                       int planes, int h, int wd, int k, int stride, int pad, int ho, int wo) {
    int i = get_global_id(0);
    if (i >= planes * ho * wo) return;
    int ox = i % wo, oy = (i / wo) % ho, pl = i / (wo * ho);
    float best = -INFINITY;
    int at = -1;
    for (int ky = 0; ky < k; ky++) {
        int iy = oy * stride - pad + ky;
        if (iy < 0 || iy >= h) continue;
        for (int kx = 0; kx < k; kx++) {
            int ix = ox * stride - pad + kx;
            if (ix < 0 || ix >= wd) continue;
            float v = x[pl * h * wd + iy * wd + ix];
            if (at < 0 || v > best || (isnan(v) && !isnan(best))) { best = v; at = iy * wd + ix; }
        }
    }
    y[i] = best;
    argmax[i] = at;
}

// Per input position: the sum of the gradients of the outputs that picked it, in output order.
__kernel void max_pool_backward(__global const float* dy, __global const int* argmax, __global float* dx,
                                int planes, int h, int wd, int k, int stride, int pad, int ho, int wo) {
    int i = get_global_id(0);
    if (i >= planes * h * wd) return;
    int ix = i % wd, iy = (i / wd) % h, pl = i / (wd * h), me = iy * wd + ix;
    float s = 0.0f;
    int oy0 = max(0, (iy + pad - k + stride) / stride), oy1 = min(ho - 1, (iy + pad) / stride);
    int ox0 = max(0, (ix + pad - k + stride) / stride), ox1 = min(wo - 1, (ix + pad) / stride);
    for (int oy = oy0; oy <= oy1; oy++) {
        for (int ox = ox0; ox <= ox1; ox++) {
            int at = (pl * ho + oy) * wo + ox;
            if (argmax[at] == me) s += dy[at];
        }
    }
    dx[i] = s;
}

__kernel void avg_pool(__global const float* x, __global float* y, int planes, int h, int wd, int k, int stride, int pad, int ho, int wo) {
    int i = get_global_id(0);
    if (i >= planes * ho * wo) return;
    int ox = i % wo, oy = (i / wo) % ho, pl = i / (wo * ho);
    float s = 0.0f;
    for (int ky = 0; ky < k; ky++) {
        int iy = oy * stride - pad + ky;
        if (iy < 0 || iy >= h) continue;
        for (int kx = 0; kx < k; kx++) {
            int ix = ox * stride - pad + kx;
            if (ix >= 0 && ix < wd) s += x[pl * h * wd + iy * wd + ix];
        }
    }
    y[i] = s / (float) (k * k);
}

__kernel void avg_pool_backward(__global const float* dy, __global float* dx, int planes, int h, int wd, int k, int stride, int pad,
                                int ho, int wo) {
    int i = get_global_id(0);
    if (i >= planes * h * wd) return;
    int ix = i % wd, iy = (i / wd) % h, pl = i / (wd * h);
    float inv = 1.0f / (float) (k * k), s = 0.0f;
    int oy0 = max(0, (iy + pad - k + stride) / stride), oy1 = min(ho - 1, (iy + pad) / stride);
    int ox0 = max(0, (ix + pad - k + stride) / stride), ox1 = min(wo - 1, (ix + pad) / stride);
    for (int oy = oy0; oy <= oy1; oy++) {
        for (int ox = ox0; ox <= ox1; ox++) {
            if (oy * stride - pad <= iy && iy < oy * stride - pad + k && ox * stride - pad <= ix && ix < ox * stride - pad + k) {
                s += dy[(pl * ho + oy) * wo + ox] * inv;
            }
        }
    }
    dx[i] = s;
}

// ------------------------------------------------------------------------------------------------ option-A shortcut

__kernel void shortcut_a(__global const float* x, __global float* y, int n, int c, int h, int wd, int cy, int ho, int wo, int pad) {
    int i = get_global_id(0);
    if (i >= n * cy * ho * wo) return;
    int ox = i % wo, oy = (i / wo) % ho, ch = (i / (wo * ho)) % cy - pad, s = i / (wo * ho * cy);
    y[i] = ch < 0 || ch >= c ? 0.0f : x[((s * c + ch) * h + 2 * oy) * wd + 2 * ox];
}

__kernel void shortcut_a_backward(__global const float* dy, __global float* dx, int n, int c, int h, int wd, int cy, int ho, int wo, int pad) {
    int i = get_global_id(0);
    if (i >= n * c * h * wd) return;
    int ix = i % wd, iy = (i / wd) % h, ch = (i / (wd * h)) % c, s = i / (wd * h * c);
    dx[i] = (iy % 2 == 0 && ix % 2 == 0) ? dy[((s * cy + ch + pad) * ho + iy / 2) * wo + ix / 2] : 0.0f;
}

// ------------------------------------------------------------------------------------------------ loss

__kernel void softmax_ce(__global const float* z, __global const int* labels, __global float* p, __global float* loss, int n, int k) {
    int i = get_global_id(0);
    if (i >= n) return;
    int o = i * k;
    float m = -INFINITY;
    for (int j = 0; j < k; j++) m = fmax(m, z[o + j]);
    float s = 0.0f;
    for (int j = 0; j < k; j++) s += exp(z[o + j] - m);
    float ls = log(s);
    for (int j = 0; j < k; j++) p[o + j] = exp(z[o + j] - m - ls);
    loss[i] = ls - (z[o + labels[i]] - m);
}

__kernel void softmax_ce_backward(__global const float* p, __global const int* labels, float scale, __global float* d, int n, int k) {
    int i = get_global_id(0);
    if (i >= n * k) return;
    d[i] = scale * (p[i] - ((i % k) == labels[i / k] ? 1.0f : 0.0f));
}

// ------------------------------------------------------------------------------------------------ rows

// One work-group per row: the mean (sum in the fixed tree order), the one reduction thresholds use.
__kernel void row_mean(__global const float* x, __global float* mean, __local float* scratch, int n) {
    int r = get_group_id(0), lid = get_local_id(0), ls = get_local_size(0);
    float s = 0.0f;
    for (int j = lid; j < n; j += ls) s += x[r * n + j];
    s = group_sum(scratch, s);
    if (lid == 0) mean[r] = s / n;
}

// One work-group per row; z may be null (statistics alone). z = (x - mean) * inv in float, as the contract says.
__kernel void row_standardize(__global const float* x, float eps, __global float* z, __global float* mean, __global float* invstd,
                              __local float* scratch, int n) {
    int r = get_group_id(0), lid = get_local_id(0), ls = get_local_size(0);
    float s = 0.0f;
    for (int j = lid; j < n; j += ls) s += x[r * n + j];
    float mu = group_sum(scratch, s) / n;
    float q = 0.0f;
    for (int j = lid; j < n; j += ls) { float d = x[r * n + j] - mu; q = fma(d, d, q); }
    float inv = 1.0f / sqrt(group_sum(scratch, q) / (n - 1) + eps);
    if (z) for (int j = lid; j < n; j += ls) z[r * n + j] = (x[r * n + j] - mu) * inv;
    if (lid == 0) { mean[r] = mu; invstd[r] = inv; }
}

__kernel void row_standardize_backward(__global const float* z, __global const float* invstd, __global const float* dz, __global float* dx,
                                       __local float* scratch, int n) {
    int r = get_group_id(0), lid = get_local_id(0), ls = get_local_size(0);
    float s = 0.0f, d = 0.0f;
    for (int j = lid; j < n; j += ls) { s += dz[r * n + j]; d = fma(dz[r * n + j], z[r * n + j], d); }
    float mean = group_sum(scratch, s) / n, proj = group_sum(scratch, d) / (n - 1), inv = invstd[r];
    for (int j = lid; j < n; j += ls) dx[r * n + j] = (dz[r * n + j] - mean - z[r * n + j] * proj) * inv;
}

__kernel void approx_sign_backward(__global const float* a1, __global const float* dxb, __global float* da1, int n) {
    int i = get_global_id(0);
    if (i < n) da1[i] = dxb[i] * fmax(0.0f, 2.0f - 2.0f * fabs(a1[i]));
}

__kernel void binary_activation_backward(__global const float* x, __global const float* mean, __global const float* invstd,
                                         __global const float* dxb, __global float* dx, __local float* scratch, int n) {
    int r = get_group_id(0), lid = get_local_id(0), ls = get_local_size(0);
    float mu = mean[r], inv = invstd[r], s = 0.0f, d = 0.0f;
    for (int j = lid; j < n; j += ls) {
        float a1 = (x[r * n + j] - mu) * inv, da = dxb[r * n + j] * fmax(0.0f, 2.0f - 2.0f * fabs(a1));
        s += da;
        d = fma(da, a1, d);
    }
    float sum = group_sum(scratch, s), dot = group_sum(scratch, d);
    float c1 = -inv * dot / (n - 1), c0 = -inv * sum / n;
    for (int j = lid; j < n; j += ls) {
        float a1 = (x[r * n + j] - mu) * inv, da = dxb[r * n + j] * fmax(0.0f, 2.0f - 2.0f * fabs(a1));
        dx[r * n + j] = fma(inv, da, fma(c1, a1, c0));
    }
}

// ------------------------------------------------------------------------------------------------ SiMaN weight steps

// Centres each row in place (one work-group per row) and writes |u| into mags (for the layer-wide percentiles).
__kernel void centre_rows(__global float* w, __global float* mags, __local float* scratch, int n) {
    int r = get_group_id(0), lid = get_local_id(0), ls = get_local_size(0);
    float s = 0.0f;
    for (int j = lid; j < n; j += ls) s += w[r * n + j];
    float mu = group_sum(scratch, s) / n;
    for (int j = lid; j < n; j += ls) { float u = w[r * n + j] - mu; w[r * n + j] = u; if (mags) mags[r * n + j] = fabs(u); }
}

// One step of a bitonic sort (ascending) over a power-of-two length.
__kernel void bitonic_step(__global float* a, int j, int k, int n) {
    int i = get_global_id(0), l = i ^ j;
    if (i < n && l > i) {
        float x = a[i], y = a[l];
        bool up = (i & k) == 0;
        if ((up && x > y) || (!up && x < y)) { a[i] = y; a[l] = x; }
    }
}

// numpy's "linear" percentiles of the sorted magnitudes: bounds[0] at lo percent, bounds[1] at hi percent.
__kernel void percentiles(__global const float* sorted, int n, float lo, float hi, __global float* bounds) {
    if (get_global_id(0) != 0) return;
    for (int b = 0; b < 2; b++) {
        float pos = (b == 0 ? lo : hi) / 100.0f * (n - 1);
        int a = (int) floor(pos), c = min(n - 1, a + 1);
        bounds[b] = sorted[a] + (sorted[c] - sorted[a]) * (pos - a);
    }
}

__kernel void clip_magnitudes(__global const float* w, __global const float* bounds, __global float* out, int n) {
    int i = get_global_id(0);
    if (i >= n) return;
    float v = w[i], m = fmin(bounds[1], fmax(bounds[0], fabs(v)));
    out[i] = v >= 0.0f ? m : -m;
}

__kernel void magnitudes(__global const float* x, __global float* mags, int n) {
    int i = get_global_id(0);
    if (i < n) mags[i] = fabs(x[i]);
}

// ------------------------------------------------------------------------------------------------ generic primitives

__kernel void row_subtract(__global const float* x, __global const float* v, __global float* y, int total, int n) {
    int i = get_global_id(0);
    if (i < total) y[i] = x[i] - v[i / n];
}

// One work-group per row.
__kernel void row_abs_mean(__global const float* x, __global float* mean, __local float* scratch, int n) {
    int r = get_group_id(0), lid = get_local_id(0), ls = get_local_size(0);
    float a = 0.0f;
    for (int j = lid; j < n; j += ls) a += fabs(x[r * n + j]);
    float m = group_sum(scratch, a) / n;
    if (lid == 0) mean[r] = m;
}

__kernel void mask_by_magnitude(__global const float* x, float limit, __global const float* a, __global float* y, int n) {
    int i = get_global_id(0);
    if (i < n) y[i] = fabs(x[i]) <= limit ? a[i] : 0.0f;
}

// One work-item per copied value: count channels of plane values for each of the samples.
__kernel void copy_channels(__global const float* src, int cs, int sc, __global float* dst, int cd, int dc, int count, int plane, int total) {
    int i = get_global_id(0);
    if (i >= total) return;
    int per = count * plane, sample = i / per, rest = i % per;
    dst[(sample * cd + dc) * plane + rest] = src[(sample * cs + sc) * plane + rest];
}

// One work-group per row: high for the counts[r] (or, without counts, floor(n/2)) largest |z|, ties to the lower
// index; low for the others.
__kernel void top_magnitudes(__global const float* z, __global const int* counts, float high, float low, __global float* s, int n) {
    int r = get_group_id(0), lid = get_local_id(0), ls = get_local_size(0), k = counts ? counts[r] : n / 2;
    for (int j = lid; j < n; j += ls) {
        float mine = fabs(z[r * n + j]);
        int above = 0;
        for (int i = 0; i < n; i++) {
            float other = fabs(z[r * n + i]);
            above += (other > mine || (other == mine && i < j)) ? 1 : 0;
        }
        s[r * n + j] = above < k ? high : low;
    }
}

// ------------------------------------------------------------------------------------------------ sign-based baselines

// One work-group per row: scale = mean |w| (xnor) or 2^round(log2(mean |z|)) (irnet); s = sign * scale.
__kernel void sign_weights(int irnet, __global const float* w, __global float* s, __global float* scale, __local float* scratch, int n) {
    int r = get_group_id(0), lid = get_local_id(0), ls = get_local_size(0);
    float a = 0.0f;
    for (int j = lid; j < n; j += ls) a += fabs(w[r * n + j]);
    float m = group_sum(scratch, a) / n;
    float alpha = irnet ? (m > 0.0f ? exp2(rint(log2(m))) : 0.0f) : m;
    for (int j = lid; j < n; j += ls) s[r * n + j] = w[r * n + j] >= 0.0f ? alpha : -alpha;
    if (lid == 0) scale[r] = alpha;
}

__kernel void clipped_straight_through(__global const float* w, __global const float* ds, __global const float* scale, float limit,
                                       __global float* dw, int total, int n) {
    int i = get_global_id(0);
    if (i < total) dw[i] = fabs(w[i]) <= limit ? ds[i] * scale[i / n] : 0.0f;
}

__kernel void ede_backward(__global const float* z, __global const float* ds, __global const float* scale, float t, float k,
                           __global float* dz, int total, int n) {
    int i = get_global_id(0);
    if (i >= total) return;
    float th = tanh(t * z[i]);
    dz[i] = ds[i] * scale[i / n] * k * t * (1.0f - th * th);
}

// ------------------------------------------------------------------------------------------------ optimizer

__kernel void sgd_step(__global float* p, __global const float* g, __global float* v, float lr, float momentum, float wd, int n) {
    int i = get_global_id(0);
    if (i >= n) return;
    float d = fma(wd, p[i], g[i]);
    float vel = fma(momentum, v[i], d);
    v[i] = vel;
    p[i] = fma(-lr, vel, p[i]);
}

// ------------------------------------------------------------------------------------------------ bits

__kernel void pack_weights(__global const float* s, __global ulong* bits, int co, int ci, int taps, int words) {
    int i = get_global_id(0);
    if (i >= co * taps * words) return;
    int q = i % words, t = (i / words) % taps, o = i / (words * taps);
    ulong b = 0;
    for (int c = q * 64; c < min(ci, q * 64 + 64); c++) {
        if (s[(o * ci + c) * taps + t] > 0.0f) b |= 1UL << (c - q * 64);
    }
    bits[i] = b;
}

__kernel void pack_activations(__global const float* x, __global const float* threshold, __global ulong* bits, int n, int c, int plane, int words) {
    int i = get_global_id(0);
    if (i >= n * plane * words) return;
    int q = i % words, p = (i / words) % plane, s = i / (words * plane);
    float t = threshold[s];
    ulong b = 0;
    for (int ch = q * 64; ch < min(c, q * 64 + 64); ch++) {
        if (x[(s * c + ch) * plane + p] >= t) b |= 1UL << (ch - q * 64);
    }
    bits[i] = b;
}

// sum over the taps inside the image: pm1: m*Ci - 2 popcount(x ^ w); zero-one: 2 popcount(x & w) - popcount(w).
__kernel void binary_conv(int pm1, __global const ulong* xb, __global const ulong* wb, __global const float* scale, __global const float* bias,
                          __global float* y, int batch, int ci, int h, int wd, int co, int kh, int kw, int stride, int pad, int ho, int wo, int words) {
    int i = get_global_id(0);
    if (i >= batch * co * ho * wo) return;
    int ox = i % wo, oy = (i / wo) % ho, o = (i / (wo * ho)) % co, n = i / (wo * ho * co);
    int sum = 0;
    for (int ky = 0; ky < kh; ky++) {
        int iy = oy * stride - pad + ky;
        if (iy < 0 || iy >= h) continue;
        for (int kx = 0; kx < kw; kx++) {
            int ix = ox * stride - pad + kx;
            if (ix < 0 || ix >= wd) continue;
            __global const ulong* xr = xb + ((n * h + iy) * wd + ix) * words;
            __global const ulong* wr = wb + ((o * kh + ky) * kw + kx) * words;
            for (int q = 0; q < words; q++) {
                if (pm1) sum += 64 * q + 64 <= ci ? 64 - 2 * (int) popcount(xr[q] ^ wr[q]) : (ci - 64 * q) - 2 * (int) popcount(xr[q] ^ wr[q]);
                else sum += 2 * (int) popcount(xr[q] & wr[q]) - (int) popcount(wr[q]);
            }
        }
    }
    y[i] = fma((float) sum, scale ? scale[o] : 1.0f, bias ? bias[o] : 0.0f);
}
