package io.aircela.tck;

import io.aircela.weights.RopeStyle;

/**
 * Plain reference math for {@link ComputeBackendContractTest}: the textbook formulas in double, with no
 * attempt to mirror any backend's rounding. Row-major, as {@link io.aircela.compute.Op} documents.
 */
final class ReferenceOps {
    private ReferenceOps() {
    }

    /** {@code out (n, rows) = x (n, cols) @ w (rows, cols)^T}. */
    static double[] matMul(float[] w, int rows, int cols, float[] x, int n) {
        double[] out = new double[n * rows];
        for (int i = 0; i < n; i++)
            for (int r = 0; r < rows; r++) {
                double s = 0;
                for (int c = 0; c < cols; c++) s += (double) w[r * cols + c] * x[i * cols + c];
                out[i * rows + r] = s;
            }
        return out;
    }

    static double[] rmsNorm(float[] x, float[] w, int n, int dim, float eps) {
        double[] out = new double[n * dim];
        for (int r = 0; r < n; r++) {
            double ss = 0;
            for (int i = 0; i < dim; i++) ss += (double) x[r * dim + i] * x[r * dim + i];
            double scale = 1 / Math.sqrt(ss / dim + eps);
            for (int i = 0; i < dim; i++) out[r * dim + i] = x[r * dim + i] * scale * w[i];
        }
        return out;
    }

    static double[] rope(float[] x, int n, int heads, int headDim, int ropeDims, int startPos, double base,
                         RopeStyle style) {
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) out[i] = x[i];
        int half = ropeDims / 2;
        for (int r = 0; r < n; r++)
            for (int h = 0; h < heads; h++) {
                int o = (r * heads + h) * headDim;
                for (int j = 0; j < half; j++) {
                    double theta = (startPos + r) * Math.pow(base, -2.0 * j / ropeDims);
                    int i0 = style == RopeStyle.NEOX ? o + j : o + 2 * j;
                    int i1 = style == RopeStyle.NEOX ? o + j + half : i0 + 1;
                    out[i0] = x[i0] * Math.cos(theta) - x[i1] * Math.sin(theta);
                    out[i1] = x[i0] * Math.sin(theta) + x[i1] * Math.cos(theta);
                }
            }
        return out;
    }

    static double[] attention(float[] q, float[] k, float[] v, int n, int startPos, int heads, int kvHeads,
                              int headDim, float scale) {
        double[] out = new double[n * heads * headDim];
        int group = heads / kvHeads;
        for (int i = 0; i < n; i++)
            for (int h = 0; h < heads; h++) {
                int kvh = h / group;
                int pos = startPos + i;
                double[] s = new double[pos + 1];
                double max = Double.NEGATIVE_INFINITY;
                for (int t = 0; t <= pos; t++) {
                    double dot = 0;
                    for (int d = 0; d < headDim; d++)
                        dot += (double) q[(i * heads + h) * headDim + d] * k[(t * kvHeads + kvh) * headDim + d];
                    s[t] = dot * scale;
                    max = Math.max(max, s[t]);
                }
                double sum = 0;
                for (int t = 0; t <= pos; t++) sum += s[t] = Math.exp(s[t] - max);
                for (int t = 0; t <= pos; t++)
                    for (int d = 0; d < headDim; d++)
                        out[(i * heads + h) * headDim + d] += s[t] / sum * v[(t * kvHeads + kvh) * headDim + d];
            }
        return out;
    }

    static double[] softmax(float[] x, int n, int dim) {
        double[] out = new double[x.length];
        for (int r = 0; r < n; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < dim; i++) max = Math.max(max, x[r * dim + i]);
            double sum = 0;
            for (int i = 0; i < dim; i++) sum += out[r * dim + i] = Math.exp(x[r * dim + i] - max);
            for (int i = 0; i < dim; i++) out[r * dim + i] /= sum;
        }
        return out;
    }

    static double silu(double x) {
        return x / (1 + Math.exp(-x));
    }
}
