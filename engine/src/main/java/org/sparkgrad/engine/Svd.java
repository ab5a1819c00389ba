package org.sparkgrad.engine;

/**
 * The thin singular value decomposition A = U diag(S) V^T of one m x n matrix in float64, by one-sided
 * (Hestenes) Jacobi rotations: columns of A (of A^T when m < n) are rotated pairwise until they are
 * orthogonal to working precision; their norms are then the singular values (accurate to a few ulps relative
 * to ||A||, and to high relative accuracy for well-scaled columns), the accumulated rotations V, and the
 * normalised columns U. S is sorted descending; k = min(m, n) columns in U and V. Columns of U (or V) for
 * zero singular values are completed to an orthonormal set, so U and V always have orthonormal columns.
 */
final class Svd {
    private static final int MAX_SWEEPS = 80;
    private static final double EPS = Math.ulp(1.0);

    /** U (m x k, row-major), S (k, descending) and V (n x k, row-major). */
    record Result(double[] u, double[] s, double[] v, int m, int n, int k) {
    }

    private Svd() {
    }

    /** The decomposition of the row-major m x n matrix a (not modified). */
    static Result of(double[] a, int m, int n) {
        if (m >= n) {
            return tall(a, m, n);
        }
        double[] t = new double[a.length];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                t[j * m + i] = a[i * n + j];
            }
        }
        Result r = tall(t, n, m);   // A^T = U' S V'^T, so A = V' S U'^T
        return new Result(r.v(), r.s(), r.u(), m, n, r.k());
    }

    /** m >= n: rotate the n columns of a (kept column-major in w) until orthogonal. */
    private static Result tall(double[] a, int m, int n) {
        double[][] w = new double[n][m];
        double[][] v = new double[n][n];
        for (int j = 0; j < n; j++) {
            for (int i = 0; i < m; i++) {
                w[j][i] = a[i * n + j];
            }
            v[j][j] = 1;
        }
        for (int sweep = 0; sweep < MAX_SWEEPS; sweep++) {
            boolean rotated = false;
            for (int p = 0; p < n - 1; p++) {
                for (int q = p + 1; q < n; q++) {
                    rotated |= rotate(w, v, p, q);
                }
            }
            if (!rotated) {
                break;
            }
        }
        double[] s = new double[n];
        for (int j = 0; j < n; j++) {
            s[j] = norm(w[j]);
        }
        Integer[] order = new Integer[n];
        for (int j = 0; j < n; j++) {
            order[j] = j;
        }
        java.util.Arrays.sort(order, (x, y) -> Double.compare(s[y], s[x]));
        double[] us = new double[m * n];
        double[] vs = new double[n * n];
        double[] ss = new double[n];
        double tiny = (s.length == 0 ? 0 : s[order[0]]) * EPS * m;
        boolean[] missing = new boolean[n];
        for (int c = 0; c < n; c++) {
            int j = order[c];
            ss[c] = s[j];
            missing[c] = s[j] <= tiny || s[j] == 0;
            for (int i = 0; i < m; i++) {
                us[i * n + c] = missing[c] ? 0 : w[j][i] / s[j];
            }
            for (int i = 0; i < n; i++) {
                vs[i * n + c] = v[j][i];
            }
        }
        complete(us, m, n, missing);
        return new Result(us, ss, vs, m, n, n);
    }

    /** One Jacobi rotation making columns p and q orthogonal; false when they already are. */
    private static boolean rotate(double[][] w, double[][] v, int p, int q) {
        double[] a = w[p];
        double[] b = w[q];
        double alpha = 0;
        double beta = 0;
        double gamma = 0;
        for (int i = 0; i < a.length; i++) {
            alpha += a[i] * a[i];
            beta += b[i] * b[i];
            gamma += a[i] * b[i];
        }
        if (gamma == 0 || Math.abs(gamma) <= EPS * Math.sqrt(alpha) * Math.sqrt(beta)) {
            return false;
        }
        double zeta = (beta - alpha) / (2 * gamma);
        double t = Math.signum(zeta) / (Math.abs(zeta) + Math.hypot(1, zeta));
        if (zeta == 0) {
            t = 1;
        }
        double c = 1 / Math.hypot(1, t);
        double s = c * t;
        apply(a, b, c, s);
        apply(v[p], v[q], c, s);
        return true;
    }

    private static void apply(double[] a, double[] b, double c, double s) {
        for (int i = 0; i < a.length; i++) {
            double x = a[i];
            double y = b[i];
            a[i] = c * x - s * y;
            b[i] = s * x + c * y;
        }
    }

    private static double norm(double[] x) {
        double scale = 0;
        for (double e : x) {
            scale = Math.max(scale, Math.abs(e));
        }
        if (scale == 0) {
            return 0;
        }
        double sum = 0;
        for (double e : x) {
            double r = e / scale;
            sum += r * r;
        }
        return scale * Math.sqrt(sum);
    }

    /**
     * Fills the missing columns of the m x n row-major u with unit vectors orthogonal to all other columns
     * (Gram-Schmidt, twice, of the standard basis vectors), as LAPACK's U has for zero singular values.
     */
    private static void complete(double[] u, int m, int n, boolean[] missing) {
        int basis = 0;
        for (int c = 0; c < n; c++) {
            if (!missing[c]) {
                continue;
            }
            while (basis < m) {
                double[] x = new double[m];
                x[basis++] = 1;
                for (int pass = 0; pass < 2; pass++) {
                    for (int o = 0; o < n; o++) {
                        if (o == c || (missing[o] && o > c)) {
                            continue;
                        }
                        double d = 0;
                        for (int i = 0; i < m; i++) {
                            d += u[i * n + o] * x[i];
                        }
                        for (int i = 0; i < m; i++) {
                            x[i] -= d * u[i * n + o];
                        }
                    }
                }
                double len = norm(x);
                if (len > 0.5) {
                    for (int i = 0; i < m; i++) {
                        u[i * n + c] = x[i] / len;
                    }
                    missing[c] = false;
                    break;
                }
            }
        }
    }
}
