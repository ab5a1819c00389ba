package org.sparkgrad.gpu;

import java.lang.ref.Reference;
import jcuda.Pointer;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasHandle;
import jcuda.jcublas.cublasOperation;
import org.sparkgrad.engine.DType;
import org.sparkgrad.engine.backend.Strided;

/**
 * Batched row-major matmul through column-major cuBLAS, the one place that translates layouts. Row-major
 * C = A B is column-major C^T = B^T A^T, so cuBLAS gets B first and A second; an operand whose rows are
 * dense is passed as is ({@code N}), a transposed view (dense columns) with {@code T}, and only other views
 * are copied. One batched call with the operands' batch strides (0 broadcasts) covers every batch.
 */
final class RowMajorGemm {
    /**
     * How cuBLAS reads one row-major [rows, cols] operand.
     *
     * @param op cublasOperation for the column-major formula
     * @param ld leading dimension
     * @param view the (possibly copied) operand
     */
    record Layout(int op, int ld, Strided view) {
    }

    private RowMajorGemm() {
    }

    /**
     * The layout of matrix dims 1 and 2 of a [B, rows, cols] view, or null when it needs a copy. Rows with
     * unit column stride are a column-major transpose (N); unit row stride means the view is column-major (T).
     */
    static Layout layout(Strided x) {
        int rows = x.shape()[1];
        int cols = x.shape()[2];
        int sr = x.strides()[1];
        int sc = x.strides()[2];
        if ((sc == 1 || cols <= 1) && (rows <= 1 || sr >= Math.max(cols, 1))) {
            return new Layout(cublasOperation.CUBLAS_OP_N, rows <= 1 ? Math.max(cols, 1) : sr, x);
        }
        if ((sr == 1 || rows <= 1) && (cols <= 1 || sc >= Math.max(rows, 1))) {
            return new Layout(cublasOperation.CUBLAS_OP_T, cols <= 1 ? Math.max(rows, 1) : sc, x);
        }
        return null;
    }

    /** out[b] = a[b] @ b[b] for [B, M, K] and [B, K, N] views into a contiguous [B, M, N] out. */
    static void matmul(CudaBackend backend, Strided a, Strided b, Strided out) {
        DType t = out.storage().dtype();
        if (t != DType.FLOAT32 && t != DType.FLOAT64) {
            throw new UnsupportedOperationException("CUDA matmul supports float32 and float64, got " + t.pyName());
        }
        int batch = a.shape()[0];
        int m = a.shape()[1];
        int k = a.shape()[2];
        int n = b.shape()[2];
        if (batch == 0 || m == 0 || n == 0) {
            return;
        }
        if (k == 0) {
            backend.fill(out, 0);
            return;
        }
        Layout la = layoutOrCopy(backend, a);
        Layout lb = layoutOrCopy(backend, b);
        CudaStorage sa = backend.ptr(la.view()); // ptr: operands on another device are rejected, not read
        CudaStorage sb = backend.ptr(lb.view());
        CudaStorage so = backend.ptr(out);
        Pointer pa = sa.at(la.view().offset());
        Pointer pb = sb.at(lb.view().offset());
        Pointer pc = so.at(out.offset());
        long strideA = batch == 1 ? 0 : la.view().strides()[0];
        long strideB = batch == 1 ? 0 : lb.view().strides()[0];
        long strideC = (long) m * n;
        var h = backend.context().cublas();
        try {
            gemm(h, t, la, lb, pa, pb, pc, m, n, k, batch, strideA, strideB, strideC);
        } finally {
            // Copies made above (and their blocks) must not be collected and reused before cuBLAS enqueued.
            Reference.reachabilityFence(sa);
            Reference.reachabilityFence(sb);
            Reference.reachabilityFence(so);
        }
    }

    private static void gemm(cublasHandle h, DType t, Layout la, Layout lb, Pointer pa, Pointer pb, Pointer pc, int m,
            int n, int k, int batch, long strideA, long strideB, long strideC) {
        if (t == DType.FLOAT32) {
            Pointer one = Pointer.to(new float[] {1f});
            Pointer zero = Pointer.to(new float[] {0f});
            if (batch == 1) {
                JCublas2.cublasSgemm(h, lb.op(), la.op(), n, m, k, one, pb, lb.ld(), pa, la.ld(), zero, pc, n);
            } else {
                JCublas2.cublasSgemmStridedBatched(h, lb.op(), la.op(), n, m, k, one, pb, lb.ld(), strideB, pa, la.ld(),
                        strideA, zero, pc, n, strideC, batch);
            }
        } else {
            Pointer one = Pointer.to(new double[] {1});
            Pointer zero = Pointer.to(new double[] {0});
            if (batch == 1) {
                JCublas2.cublasDgemm(h, lb.op(), la.op(), n, m, k, one, pb, lb.ld(), pa, la.ld(), zero, pc, n);
            } else {
                JCublas2.cublasDgemmStridedBatched(h, lb.op(), la.op(), n, m, k, one, pb, lb.ld(), strideB, pa, la.ld(),
                        strideA, zero, pc, n, strideC, batch);
            }
        }
    }

    private static Layout layoutOrCopy(CudaBackend backend, Strided x) {
        Layout l = layout(x);
        if (l != null) {
            return l;
        }
        Strided dense = backend.contiguous(x);
        return new Layout(cublasOperation.CUBLAS_OP_N, Math.max(x.shape()[2], 1), dense);
    }
}
