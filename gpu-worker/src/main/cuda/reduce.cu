/*
 * Reduction kernels of the CUDA backend: reduce over a set of dimensions, arg max/min along one
 * dimension, and row softmax/logSoftmax with their backward. Compiled at run time with NVRTC (no
 * headers), and in tests as C++ through src/test/cuda/cuda_shim.h.
 *
 * Geometry: SgGeom as in elementwise.cu (int[46]: ndim, numel, shape[8], offset[4], stride[4][8]),
 * describing the INPUT x as operand 0; outputs are contiguous, their offsets given as arguments.
 *
 * Launch: block-per-output kernels (reduce_*, *softmax*) need a block of at most SG_BLOCK threads (any
 * count; 256 is the intended one) and use a grid-stride loop over outputs; argreduce_* takes any 1-d launch.
 * Accumulation is in double, as on the CPU backend.
 */

#define SG_MAX_DIMS 8
#define SG_MAX_OPERANDS 4
#define SG_BLOCK 256

/** Shape, per-operand offsets and strides of one launch (46 ints). */
struct SgGeom {
    int ndim;
    int numel;
    int shape[SG_MAX_DIMS];
    int offset[SG_MAX_OPERANDS];
    int stride[SG_MAX_OPERANDS][SG_MAX_DIMS];
};

/* ReduceOp ordinals. */
#define SG_SUM 0
#define SG_PROD 1
#define SG_MAX 2
#define SG_MIN 3

/** Folds e into a; max and min keep the first NaN they meet, as the CPU backend does. */
__device__ __forceinline__ double sg_fold(int op, double a, double e) {
    switch (op) {
        case SG_SUM: return a + e;
        case SG_PROD: return a * e;
        case SG_MAX: return e > a || e != e ? e : a;
        default: return e < a || e != e ? e : a;
    }
}

__device__ __forceinline__ double sg_init(int op) {
    switch (op) {
        case SG_SUM: return 0.0;
        case SG_PROD: return 1.0;
        case SG_MAX: return -1.0 / 0.0;
        default: return 1.0 / 0.0;
    }
}

/**
 * Combines buf[0..blockDim.x) into buf[0] (any block size); every thread of the block must call it.
 * Ends with a barrier, so buf[0] may be read by all threads.
 */
__device__ __forceinline__ void sg_block_fold(int op, double* buf) {
    int t = threadIdx.x;
    __syncthreads();
    for (int s = 1; s < (int) blockDim.x; s <<= 1) {
        if (t % (2 * s) == 0 && t + s < (int) blockDim.x) {
            buf[t] = sg_fold(op, buf[t], buf[t + s]);
        }
        __syncthreads();
    }
}

/**
 * out[o] = fold of x over the dimensions whose bit is set in mask (bit d = dimension d); out is
 * contiguous with x's rank and size 1 on reduced dimensions, starting at outOffset. outer = out's element
 * count, inner = the number of elements folded into each. One block per output element.
 */
#define SG_REDUCE(NAME, T) \
extern "C" __global__ void NAME(int op, SgGeom g, unsigned int mask, int outer, int inner, const T* x, int outOffset, T* out) { \
    __shared__ double buf[SG_BLOCK]; \
    for (int o = blockIdx.x; o < outer; o += gridDim.x) { \
        int base = g.offset[0]; \
        int rest = o; \
        for (int d = g.ndim - 1; d >= 0; d--) { \
            if (!((mask >> d) & 1u)) { \
                base += (rest % g.shape[d]) * g.stride[0][d]; \
                rest /= g.shape[d]; \
            } \
        } \
        double acc = sg_init(op); \
        for (int r = threadIdx.x; r < inner; r += blockDim.x) { \
            int at = base; \
            int q = r; \
            for (int d = g.ndim - 1; d >= 0; d--) { \
                if ((mask >> d) & 1u) { \
                    at += (q % g.shape[d]) * g.stride[0][d]; \
                    q /= g.shape[d]; \
                } \
            } \
            acc = sg_fold(op, acc, (double) x[at]); \
        } \
        buf[threadIdx.x] = acc; \
        sg_block_fold(op, buf); \
        if (threadIdx.x == 0) { \
            out[outOffset + o] = (T) buf[0]; \
        } \
        __syncthreads(); \
    } \
}
SG_REDUCE(reduce_f32, float)
SG_REDUCE(reduce_f64, double)

/**
 * Max (isMax != 0) or min of x along dim with the index of the first extreme element; a NaN wins and
 * stops the search. values (x's type) and indices (INT64) are contiguous with x's rank and size 1 on
 * dim, starting at valuesOffset and indicesOffset. One thread per output element.
 */
#define SG_ARGREDUCE(NAME, T) \
extern "C" __global__ void NAME(int isMax, SgGeom g, int dim, const T* x, int valuesOffset, T* values, \
                                int indicesOffset, long long* indices) { \
    int len = g.shape[dim]; \
    int step = g.stride[0][dim]; \
    int outer = len == 0 ? 0 : g.numel / len; \
    for (long long o = (long long) blockIdx.x * blockDim.x + threadIdx.x; o < outer; \
         o += (long long) blockDim.x * gridDim.x) { \
        int base = g.offset[0]; \
        long long rest = o; \
        for (int d = g.ndim - 1; d >= 0; d--) { \
            if (d != dim) { \
                base += (int) (rest % g.shape[d]) * g.stride[0][d]; \
                rest /= g.shape[d]; \
            } \
        } \
        T best = x[base]; \
        int bestAt = 0; \
        for (int i = 1; i < len && best == best; i++) { \
            T e = x[base + i * step]; \
            if (e != e || (isMax ? e > best : e < best)) { \
                best = e; \
                bestAt = i; \
            } \
        } \
        values[valuesOffset + o] = best; \
        indices[indicesOffset + o] = bestAt; \
    } \
}
SG_ARGREDUCE(argreduce_f32, float)
SG_ARGREDUCE(argreduce_f64, double)

__device__ __forceinline__ double sg_exp_d(double a) { return exp(a); }
__device__ __forceinline__ double sg_log_d(double a) { return log(a); }

/**
 * Row softmax (logOutput == 0) or logSoftmax (logOutput != 0) of a [rows, cols] matrix whose rows
 * start rowStride elements apart (columns are dense); y has the same layout. x and y may be the same
 * memory. Max-shifted, so large values do not overflow; a row whose max is +-inf or NaN is shifted by 0
 * (so -inf entries give 0, an all -inf row NaN), as Backend.softmax specifies. One block per row.
 */
#define SG_SOFTMAX(NAME, T) \
extern "C" __global__ void NAME(int logOutput, int rows, int cols, const T* x, int xOffset, int xRowStride, \
                                T* y, int yOffset, int yRowStride) { \
    __shared__ double buf[SG_BLOCK]; \
    for (int r = blockIdx.x; r < rows; r += gridDim.x) { \
        const T* xr = x + xOffset + (long long) r * xRowStride; \
        T* yr = y + yOffset + (long long) r * yRowStride; \
        double m = -1.0 / 0.0; \
        for (int c = threadIdx.x; c < cols; c += blockDim.x) { \
            m = sg_fold(SG_MAX, m, (double) xr[c]); \
        } \
        buf[threadIdx.x] = m; \
        sg_block_fold(SG_MAX, buf); \
        m = buf[0]; \
        __syncthreads(); \
        if (m != m || m == 1.0 / 0.0 || m == -1.0 / 0.0) { \
            m = 0.0; /* a row whose max is not finite is shifted by 0, as on the CPU backend */ \
        } \
        double s = 0.0; \
        for (int c = threadIdx.x; c < cols; c += blockDim.x) { \
            s += sg_exp_d((double) xr[c] - m); \
        } \
        buf[threadIdx.x] = s; \
        sg_block_fold(SG_SUM, buf); \
        s = buf[0]; \
        __syncthreads(); \
        double logS = sg_log_d(s); \
        for (int c = threadIdx.x; c < cols; c += blockDim.x) { \
            double z = (double) xr[c] - m; \
            yr[c] = (T) (logOutput ? z - logS : sg_exp_d(z) / s); \
        } \
    } \
}
SG_SOFTMAX(softmax_rows_f32, float)
SG_SOFTMAX(softmax_rows_f64, double)

/**
 * Backward of the row softmax: gx = y * (gy - sum(gy * y)); of logSoftmax (logOutput != 0):
 * gx = gy - exp(y) * sum(gy), where y is the forward's output. All three [rows, cols] matrices are
 * dense with rows cols apart, starting at their offsets; gx may be gy. One block per row.
 */
#define SG_SOFTMAX_BACKWARD(NAME, T) \
extern "C" __global__ void NAME(int logOutput, int rows, int cols, const T* y, int yOffset, const T* gy, int gyOffset, \
                                T* gx, int gxOffset) { \
    __shared__ double buf[SG_BLOCK]; \
    for (int r = blockIdx.x; r < rows; r += gridDim.x) { \
        long long row = (long long) r * cols; \
        const T* yr = y + yOffset + row; \
        const T* gr = gy + gyOffset + row; \
        T* gxr = gx + gxOffset + row; \
        double s = 0.0; \
        for (int c = threadIdx.x; c < cols; c += blockDim.x) { \
            s += logOutput ? (double) gr[c] : (double) gr[c] * (double) yr[c]; \
        } \
        buf[threadIdx.x] = s; \
        sg_block_fold(SG_SUM, buf); \
        s = buf[0]; \
        __syncthreads(); \
        for (int c = threadIdx.x; c < cols; c += blockDim.x) { \
            double yc = (double) yr[c]; \
            double gc = (double) gr[c]; \
            gxr[c] = (T) (logOutput ? gc - sg_exp_d(yc) * s : yc * (gc - s)); \
        } \
    } \
}
SG_SOFTMAX_BACKWARD(softmax_backward_rows_f32, float)
SG_SOFTMAX_BACKWARD(softmax_backward_rows_f64, double)
