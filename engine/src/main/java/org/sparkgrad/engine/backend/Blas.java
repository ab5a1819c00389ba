package org.sparkgrad.engine.backend;

import dev.ludovic.netlib.blas.BLAS;
import dev.ludovic.netlib.blas.JavaBLAS;
import dev.ludovic.netlib.blas.NativeBLAS;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Chooses the BLAS once per JVM and runs row-major matrix products on it. The system {@code libblas.so.3}
 * is used only when it is an optimized one (OpenBLAS, MKL, BLIS, ...): Debian's reference BLAS is about
 * 50 times slower than OpenBLAS and slower than the Java vector implementation, so it is never picked
 * silently. The system property {@code sparkgrad.blas} ({@code auto}, {@code native}, {@code java})
 * overrides the choice.
 */
public final class Blas {
    private static final System.Logger LOG = System.getLogger(Blas.class.getName());
    private static final Choice CHOICE = choose();
    /** m * n * k from which OpenBLAS may split a product over its threads (its own cut-off is about 64^3). */
    private static final long PARALLEL_GEMM_WORK = 1L << 18;

    private record Choice(BLAS blas, String description) {
    }

    private Blas() {
    }

    /** Which implementation runs the matrix products, e.g. {@code native OpenBLAS (/usr/lib/...)}. */
    public static String implementation() {
        return CHOICE.description;
    }

    private static Choice choose() {
        String mode = System.getProperty("sparkgrad.blas", "auto").toLowerCase(Locale.ROOT);
        if (!mode.equals("java")) {
            try {
                BLAS nativeBlas = NativeBLAS.getInstance();
                String lib = loadedLibrary();
                boolean reference = lib != null && !isOptimized(lib);
                if (mode.equals("native") || !reference) {
                    String what = "native " + describe(lib);
                    LOG.log(System.Logger.Level.INFO, "BLAS: " + what);
                    return new Choice(nativeBlas, what);
                }
                LOG.log(System.Logger.Level.WARNING, "BLAS: the system libblas.so.3 is the reference BLAS (" + lib
                        + "), which is very slow; using the Java implementation instead. Install OpenBLAS "
                        + "(Debian/Ubuntu: apt-get install libopenblas0-pthread) for fast matrix products.");
            } catch (Throwable e) {
                LOG.log(System.Logger.Level.WARNING, "BLAS: no native libblas.so.3 could be loaded (" + e
                        + "); using the Java implementation. Install OpenBLAS (Debian/Ubuntu: apt-get install "
                        + "libopenblas0-pthread) for fast matrix products.");
            }
        }
        JavaBLAS java = JavaBLAS.getInstance();
        String what = "java " + java.getClass().getSimpleName()
                + (java.getClass().getSimpleName().equals("VectorBLAS") ? ""
                        : " (start the JVM with --add-modules=jdk.incubator.vector for the faster VectorBLAS)");
        LOG.log(System.Logger.Level.INFO, "BLAS: " + what);
        return new Choice(java, what);
    }

    private static boolean isOptimized(String lib) {
        String l = lib.toLowerCase(Locale.ROOT);
        return l.contains("openblas") || l.contains("mkl") || l.contains("blis") || l.contains("atlas")
                || l.contains("accelerate");
    }

    private static String describe(String lib) {
        if (lib == null) {
            return "BLAS (library path unknown)";
        }
        String l = lib.toLowerCase(Locale.ROOT);
        String name = l.contains("openblas") ? "OpenBLAS" : l.contains("mkl") ? "MKL" : l.contains("blis") ? "BLIS"
                : isOptimized(lib) ? "optimized BLAS" : "reference BLAS";
        return name + " (" + lib + ")";
    }

    /** The real path of the BLAS library mapped into this process, or null where that cannot be read. */
    private static String loadedLibrary() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
                int at = line.indexOf('/');
                if (at < 0) {
                    continue;
                }
                String path = line.substring(at);
                String name = Path.of(path).getFileName().toString();
                if (name.startsWith("libblas") || name.startsWith("libopenblas") || name.contains("mkl_rt")
                        || name.startsWith("libblis")) {
                    try {
                        return Path.of(path).toRealPath().toString();
                    } catch (IOException e) {
                        return path;
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
        return null;
    }

    /** A matrix stored at (rowStride, colStride) as BLAS sees it: 'N' or 'T' with a leading dimension. */
    private record Layout(String trans, int ld) {
        /**
         * The column-major view of a row-major rows x cols matrix's transpose, or null when the strides
         * fit neither layout (the caller copies then).
         */
        static Layout of(int rows, int cols, int rowStride, int colStride) {
            if ((colStride == 1 || cols == 1) && (rowStride >= Math.max(1, cols) || rows == 1)) {
                return new Layout("N", rows == 1 ? Math.max(1, cols) : rowStride);
            }
            if ((rowStride == 1 || rows == 1) && (colStride >= Math.max(1, rows) || cols == 1)) {
                return new Layout("T", cols == 1 ? Math.max(1, rows) : colStride);
            }
            return null;
        }
    }

    /**
     * c[m x n] = a[m x k] @ b[k x n], a and b row-major with arbitrary strides, c dense row-major.
     */
    static void gemm(CpuStorage a, int offA, int rsA, int csA, CpuStorage b, int offB, int rsB, int csB,
                     CpuStorage c, int offC, int m, int n, int k) {
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0) {
            for (int i = 0; i < m * n; i++) {
                c.set(offC + i, 0);
            }
            return;
        }
        Layout la = Layout.of(m, k, rsA, csA);
        if (la == null) {
            CpuStorage dense = densify(a, offA, rsA, csA, m, k);
            gemm(dense, 0, k, 1, b, offB, rsB, csB, c, offC, m, n, k);
            return;
        }
        Layout lb = Layout.of(k, n, rsB, csB);
        if (lb == null) {
            CpuStorage dense = densify(b, offB, rsB, csB, k, n);
            gemm(a, offA, rsA, csA, dense, 0, n, 1, c, offC, m, n, k);
            return;
        }
        if ((long) m * n * k >= PARALLEL_GEMM_WORK) {
            Parallel.quiesce(); // the BLAS may use its own threads now
        }
        // Row-major C = A B is column-major C^T = B^T A^T.
        if (c.isFloat()) {
            CHOICE.blas.sgemm(lb.trans, la.trans, n, m, k, 1f, b.f, offB, lb.ld, a.f, offA, la.ld, 0f, c.f, offC, n);
        } else {
            CHOICE.blas.dgemm(lb.trans, la.trans, n, m, k, 1.0, b.d, offB, lb.ld, a.d, offA, la.ld, 0.0, c.d, offC, n);
        }
    }

    /** y[offY..] += alpha * x[offX..] over n dense elements of the same type. */
    static void axpy(int n, double alpha, CpuStorage x, int offX, CpuStorage y, int offY) {
        if (y.isFloat()) {
            CHOICE.blas.saxpy(n, (float) alpha, x.f, offX, 1, y.f, offY, 1);
        } else {
            CHOICE.blas.daxpy(n, alpha, x.d, offX, 1, y.d, offY, 1);
        }
    }

    private static CpuStorage densify(CpuStorage s, int off, int rs, int cs, int rows, int cols) {
        CpuStorage dense = new CpuStorage(s.dtype, rows * cols);
        CpuBackend.INSTANCE.copy(new Strided(s, off, new int[] {rows, cols}, new int[] {rs, cs}),
                Strided.contiguous(dense, new int[] {rows, cols}));
        return dense;
    }
}
