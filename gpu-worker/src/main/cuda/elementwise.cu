/*
 * Elementwise kernels of the CUDA backend: binary and unary ops, where, fill, copy with type conversion,
 * axpy, gather and scatterAdd. Compiled at run time with NVRTC (no headers), and in tests as C++ through
 * src/test/cuda/cuda_shim.h.
 *
 * Geometry: every strided kernel takes an SgGeom by value, passed from Java as int[SG_GEOM_INTS] in this
 * order: ndim, numel, shape[8], offset[4], stride[4][8] (operand-major). Operand k is the k-th pointer
 * argument after the scalars; a stride of 0 broadcasts. Unused dims and operands are 0.
 *
 * Launch: any 1-d grid and block; every kernel walks its elements with a grid-stride loop.
 * Op codes are the ordinals of org.sparkgrad.engine.backend.BinaryOp and UnaryOp.
 */

#define SG_MAX_DIMS 8
#define SG_MAX_OPERANDS 4

/** Shape, per-operand offsets and strides of one launch (46 ints). */
struct SgGeom {
    int ndim;
    int numel;
    int shape[SG_MAX_DIMS];
    int offset[SG_MAX_OPERANDS];
    int stride[SG_MAX_OPERANDS][SG_MAX_DIMS];
};

/** Element offsets of operands 0..nops-1 for row-major linear index i. */
__device__ __forceinline__ void sg_offsets(const SgGeom& g, long long i, int nops, int* off) {
    for (int k = 0; k < nops; k++) {
        off[k] = g.offset[k];
    }
    for (int d = g.ndim - 1; d >= 0; d--) {
        int s = g.shape[d];
        int c = (int) (i % s);
        i /= s;
        for (int k = 0; k < nops; k++) {
            off[k] += c * g.stride[k][d];
        }
    }
}

#define SG_FOR_EACH(i, n) \
    for (long long i = (long long) blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (long long) blockDim.x * gridDim.x)

/* BinaryOp ordinals. */
#define SG_ADD 0
#define SG_SUB 1
#define SG_MUL 2
#define SG_DIV 3
#define SG_POW 4
#define SG_MAXIMUM 5
#define SG_MINIMUM 6
#define SG_EQ 7
#define SG_NE 8
#define SG_LT 9
#define SG_LE 10
#define SG_GT 11
#define SG_GE 12
#define SG_SIGMOID_BACKWARD 13
#define SG_TANH_BACKWARD 14
#define SG_RELU_BACKWARD 15
#define SG_ABS_BACKWARD 16

/* UnaryOp ordinals. */
#define SG_NEG 0
#define SG_EXP 1
#define SG_LOG 2
#define SG_SQRT 3
#define SG_ABS 4
#define SG_SIN 5
#define SG_COS 6
#define SG_TANH 7
#define SG_SIGMOID 8
#define SG_RELU 9
#define SG_SIGN 10
#define SG_STEP 11
#define SG_NONFINITE 12

__device__ __forceinline__ float sg_pow(float a, float b) { return powf(a, b); }
__device__ __forceinline__ double sg_pow(double a, double b) { return pow(a, b); }
__device__ __forceinline__ float sg_exp(float a) { return expf(a); }
__device__ __forceinline__ double sg_exp(double a) { return exp(a); }
__device__ __forceinline__ float sg_log(float a) { return logf(a); }
__device__ __forceinline__ double sg_log(double a) { return log(a); }
__device__ __forceinline__ float sg_sqrt(float a) { return sqrtf(a); }
__device__ __forceinline__ double sg_sqrt(double a) { return sqrt(a); }
__device__ __forceinline__ float sg_sin(float a) { return sinf(a); }
__device__ __forceinline__ double sg_sin(double a) { return sin(a); }
__device__ __forceinline__ float sg_cos(float a) { return cosf(a); }
__device__ __forceinline__ double sg_cos(double a) { return cos(a); }
__device__ __forceinline__ float sg_tanh(float a) { return tanhf(a); }
__device__ __forceinline__ double sg_tanh(double a) { return tanh(a); }

/** op(a, b) as the CPU backend computes it: maximum/minimum propagate NaN, comparisons give 1 or 0. */
template <typename T>
__device__ __forceinline__ T sg_binary(int op, T a, T b) {
    switch (op) {
        case SG_ADD: return a + b;
        case SG_SUB: return a - b;
        case SG_MUL: return a * b;
        case SG_DIV: return a / b;
        case SG_POW: return sg_pow(a, b);
        case SG_MAXIMUM: return a != a ? a : (b != b ? b : (a > b ? a : b));
        case SG_MINIMUM: return a != a ? a : (b != b ? b : (a < b ? a : b));
        case SG_EQ: return a == b ? (T) 1 : (T) 0;
        case SG_NE: return a != b ? (T) 1 : (T) 0;
        case SG_LT: return a < b ? (T) 1 : (T) 0;
        case SG_LE: return a <= b ? (T) 1 : (T) 0;
        case SG_GT: return a > b ? (T) 1 : (T) 0;
        /* Fused activation backward: a is the output gradient, b the activation's output. */
        case SG_SIGMOID_BACKWARD: return a * ((T) 1 - b) * b;
        case SG_TANH_BACKWARD: return a * ((T) 1 - b * b);
        case SG_RELU_BACKWARD: return b <= (T) 0 ? (T) 0 : a; /* NaN b passes a, as threshold_backward */
        /* a * sgn(b), b abs's input: sgn is 0 at 0 and NaN */
        case SG_ABS_BACKWARD: return a * ((b > (T) 0 ? (T) 1 : (T) 0) - (b < (T) 0 ? (T) 1 : (T) 0));
        default: return a >= b ? (T) 1 : (T) 0;
    }
}

/** op(x) as the CPU backend computes it (sigmoid without overflow, relu and sign keep NaN). */
template <typename T>
__device__ __forceinline__ T sg_unary(int op, T x) {
    switch (op) {
        case SG_NEG: return -x;
        case SG_EXP: return sg_exp(x);
        case SG_LOG: return sg_log(x);
        case SG_SQRT: return sg_sqrt(x);
        case SG_ABS: return x < (T) 0 ? -x : (x == (T) 0 ? (T) 0 : x);
        case SG_SIN: return sg_sin(x);
        case SG_COS: return sg_cos(x);
        case SG_TANH: return sg_tanh(x);
        case SG_SIGMOID:
            if (x >= (T) 0) {
                return (T) 1 / ((T) 1 + sg_exp(-x));
            } else {
                T e = sg_exp(x);
                return e / ((T) 1 + e);
            }
        case SG_RELU: return x > (T) 0 ? x : (x != x ? x : (T) 0);
        case SG_SIGN: return x != x ? x : (x > (T) 0 ? (T) 1 : (x < (T) 0 ? (T) -1 : x));
        case SG_STEP: return x > (T) 0 ? (T) 1 : (T) 0;
        default: return (x - x) != (T) 0 ? (T) 1 : (T) 0; /* NONFINITE: inf - inf and NaN - NaN are NaN */
    }
}

/* ------------------------------------------------------------------ binary, unary */

/** out = op(a, b); operands 0 = a, 1 = b, 2 = out. */
#define SG_BINARY(NAME, T) \
extern "C" __global__ void NAME(int op, SgGeom g, const T* a, const T* b, T* out) { \
    SG_FOR_EACH(i, g.numel) { \
        int off[3]; \
        sg_offsets(g, i, 3, off); \
        out[off[2]] = sg_binary<T>(op, a[off[0]], b[off[1]]); \
    } \
}
SG_BINARY(binary_f32, float)
SG_BINARY(binary_f64, double)

/** out = op(x); operands 0 = x, 1 = out. */
#define SG_UNARY(NAME, T) \
extern "C" __global__ void NAME(int op, SgGeom g, const T* x, T* out) { \
    SG_FOR_EACH(i, g.numel) { \
        int off[2]; \
        sg_offsets(g, i, 2, off); \
        out[off[1]] = sg_unary<T>(op, x[off[0]]); \
    } \
}
SG_UNARY(unary_f32, float)
SG_UNARY(unary_f64, double)

/* ------------------------------------------------------------------ where, fill, copy, axpy */

/** out = cond != 0 ? a : b; operands 0 = cond, 1 = a, 2 = b, 3 = out. CT is the mask's element type. */
#define SG_WHERE(NAME, CT, T) \
extern "C" __global__ void NAME(SgGeom g, const CT* cond, const T* a, const T* b, T* out) { \
    SG_FOR_EACH(i, g.numel) { \
        int off[4]; \
        sg_offsets(g, i, 4, off); \
        out[off[3]] = cond[off[0]] != (CT) 0 ? a[off[1]] : b[off[2]]; \
    } \
}
SG_WHERE(where_f32, float, float)
SG_WHERE(where_f64, double, double)
SG_WHERE(where_u8_f32, unsigned char, float)
SG_WHERE(where_u8_f64, unsigned char, double)

/** Every element of operand 0 = value. */
#define SG_FILL(NAME, T) \
extern "C" __global__ void NAME(SgGeom g, T value, T* dst) { \
    SG_FOR_EACH(i, g.numel) { \
        int off[1]; \
        sg_offsets(g, i, 1, off); \
        dst[off[0]] = value; \
    } \
}
SG_FILL(fill_f32, float)
SG_FILL(fill_f64, double)
SG_FILL(fill_i64, long long)
SG_FILL(fill_u8, unsigned char)

/** dst = (DT) src; operands 0 = src, 1 = dst. Float to integer truncates toward zero, as the CPU does. */
#define SG_COPY(NAME, ST, DT) \
extern "C" __global__ void NAME(SgGeom g, const ST* src, DT* dst) { \
    SG_FOR_EACH(i, g.numel) { \
        int off[2]; \
        sg_offsets(g, i, 2, off); \
        dst[off[1]] = (DT) src[off[0]]; \
    } \
}
SG_COPY(copy_f32_f32, float, float)
SG_COPY(copy_f32_f64, float, double)
SG_COPY(copy_f32_i64, float, long long)
SG_COPY(copy_f64_f32, double, float)
SG_COPY(copy_f64_f64, double, double)
SG_COPY(copy_f64_i64, double, long long)
SG_COPY(copy_i64_f32, long long, float)
SG_COPY(copy_i64_f64, long long, double)
SG_COPY(copy_i64_i64, long long, long long)

/** Copies into a BOOL (one byte) mask: 1 where src != 0. */
#define SG_COPY_TO_BOOL(NAME, ST) \
extern "C" __global__ void NAME(SgGeom g, const ST* src, unsigned char* dst) { \
    SG_FOR_EACH(i, g.numel) { \
        int off[2]; \
        sg_offsets(g, i, 2, off); \
        dst[off[1]] = src[off[0]] != (ST) 0 ? 1 : 0; \
    } \
}
SG_COPY_TO_BOOL(copy_f32_u8, float)
SG_COPY_TO_BOOL(copy_f64_u8, double)
SG_COPY_TO_BOOL(copy_i64_u8, long long)
SG_COPY_TO_BOOL(copy_u8_u8, unsigned char)
SG_COPY(copy_u8_f32, unsigned char, float)
SG_COPY(copy_u8_f64, unsigned char, double)
SG_COPY(copy_u8_i64, unsigned char, long long)

/** y += alpha * x; operands 0 = x, 1 = y (y must not overlap itself). */
#define SG_AXPY(NAME, T) \
extern "C" __global__ void NAME(SgGeom g, T alpha, const T* x, T* y) { \
    SG_FOR_EACH(i, g.numel) { \
        int off[2]; \
        sg_offsets(g, i, 2, off); \
        y[off[1]] += alpha * x[off[0]]; \
    } \
}
SG_AXPY(axpy_f32, float)
SG_AXPY(axpy_f64, double)

/* ------------------------------------------------------------------ gather, scatterAdd */

/** Reads index value v for a dimension of the given size; -1 if out of range (negative values count from the end). */
__device__ __forceinline__ int sg_index(long long v, int size) {
    if (v < -size || v >= size) {
        return -1;
    }
    return (int) (v < 0 ? v + size : v);
}

/**
 * out = x[index] along dim. g covers index's shape; operand 0 = x with its stride on dim set to 0 (the
 * index adds index * step), 1 = index (INT64), 2 = out. An index outside [-size, size) writes 0 and sets
 * *error to 1 (error may be null).
 */
#define SG_GATHER(NAME, T) \
extern "C" __global__ void NAME(SgGeom g, int size, int step, const T* x, const long long* index, T* out, int* error) { \
    SG_FOR_EACH(i, g.numel) { \
        int off[3]; \
        sg_offsets(g, i, 3, off); \
        int at = sg_index(index[off[1]], size); \
        if (at < 0) { \
            out[off[2]] = (T) 0; \
            if (error) { *error = 1; } \
        } else { \
            out[off[2]] = x[off[0] + at * step]; \
        } \
    } \
}
SG_GATHER(gather_f32, float)
SG_GATHER(gather_f64, double)

/** atomicAdd for float, and for double on every device: CC < 6.0 has no native double atomicAdd, so a CAS loop. */
__device__ __forceinline__ void sg_atomic_add(float* address, float value) { atomicAdd(address, value); }
__device__ __forceinline__ void sg_atomic_add(double* address, double value) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ < 600
    unsigned long long* bits = (unsigned long long*) address;
    unsigned long long seen = *bits;
    unsigned long long assumed;
    do {
        assumed = seen;
        seen = atomicCAS(bits, assumed, __double_as_longlong(__longlong_as_double((long long) assumed) + value));
    } while (assumed != seen);
#else
    atomicAdd(address, value);
#endif
}

/**
 * out[index] += src along dim, with atomics (repeated indices add up). g covers index's shape; operand
 * 0 = out with its stride on dim set to 0, 1 = index (INT64), 2 = src. Out-of-range indices are skipped
 * and set *error to 1 (error may be null).
 */
#define SG_SCATTER_ADD(NAME, T) \
extern "C" __global__ void NAME(SgGeom g, int size, int step, T* out, const long long* index, const T* src, int* error) { \
    SG_FOR_EACH(i, g.numel) { \
        int off[3]; \
        sg_offsets(g, i, 3, off); \
        int at = sg_index(index[off[1]], size); \
        if (at < 0) { \
            if (error) { *error = 1; } \
        } else { \
            sg_atomic_add(out + off[0] + at * step, src[off[2]]); \
        } \
    } \
}
SG_SCATTER_ADD(scatter_add_f32, float)
SG_SCATTER_ADD(scatter_add_f64, double)
