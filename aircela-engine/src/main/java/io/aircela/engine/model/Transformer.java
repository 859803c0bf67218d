package io.aircela.engine.model;

import io.aircela.compute.ComputeBackend;
import io.aircela.compute.DeviceBuffer;
import io.aircela.compute.Op;
import io.aircela.weights.ModelConfig;

import java.util.Arrays;

/**
 * The decoder-only forward pass, as one story (llama2.c's {@code forward}) written only against
 * the ports: every step is an {@link Op} run by the {@link ComputeBackend}, weights come a layer at
 * a time from a {@link WeightProvider}, keys and values go to the sequence's {@link io.aircela.kv.KvStore}.
 *
 * <p>A call processes {@code n} consecutive positions through each layer before the next layer
 * (prefill: n = prompt length, so a streamed layer is loaded once for the whole prompt; decode: n = 1).
 * Stateless apart from its collaborators and two timing counters; not thread-safe (the backend is used by one thread).
 */
public final class Transformer {
    private final ModelConfig c;
    private final WeightProvider weights;
    private final ComputeBackend backend;
    private long forwardNanos, forwardPasses;

    public Transformer(ModelConfig config, WeightProvider weights, ComputeBackend backend) {
        this.c = config;
        this.weights = weights;
        this.backend = backend;
    }

    /** The model's hyper-parameters. */
    public ModelConfig config() {
        return c;
    }

    /**
     * Runs {@code tokens[from .. from+n)} at positions {@code pos .. pos+n)} and leaves logits in
     * {@code s}: one row per position when {@code allLogits}, else one row for the last position.
     * The caller checks that {@code pos + n} fits the KV cache and {@code n <= s.maxBatch()}.
     */
    public void forward(RunState s, int[] tokens, int from, int n, int pos, boolean allLogits) {
        long t0 = System.nanoTime();
        assert n >= 1 && n <= s.maxBatch && pos + n <= s.kv.spec().contextLength();
        int dim = c.dim(), kvDim = c.kvDim(), qDim = c.heads() * c.headDim(), ffn = c.ffnDim();
        float scale = (float) (1.0 / Math.sqrt(c.headDim()));
        GlobalWeights g = weights.global();

        // x (n, dim) = token_embd[tokens]
        int[] ids;
        if (n == 1) {
            s.oneId[0] = tokens[from];
            ids = s.oneId;
        } else {
            ids = Arrays.copyOfRange(tokens, from, from + n);
        }
        run(new Op.GetRows(g.tokenEmbedding().buffer(), ids, dim, s.x));

        for (int l = 0; l < c.layers(); l++) {
            LayerWeights w = weights.acquire(l);

            // attention: xb = rmsnorm(x); q, k, v = xb @ Wq, Wk, Wv (+ biases)
            run(new Op.RmsNorm(s.x, w.attnNorm().buffer(), s.xb, n, dim, c.normEps()));
            backend.runIndependent(matmulOp(w.wq(), s.xb, s.q, n), matmulOp(w.wk(), s.xb, s.k, n),
                    matmulOp(w.wv(), s.xb, s.v, n));
            if (w.bq() != null) run(new Op.Add(s.q, w.bq().buffer(), s.q, (long) n * qDim, qDim));
            if (w.bk() != null) run(new Op.Add(s.k, w.bk().buffer(), s.k, (long) n * kvDim, kvDim));
            if (w.bv() != null) run(new Op.Add(s.v, w.bv().buffer(), s.v, (long) n * kvDim, kvDim));

            // rotate q and k by position, then append k, v to this layer's cache rows pos .. pos+n
            run(new Op.Rope(s.q, n, c.heads(), c.headDim(), c.ropeDims(), pos, c.ropeBase(), c.ropeStyle()));
            run(new Op.Rope(s.k, n, c.kvHeads(), c.headDim(), c.ropeDims(), pos, c.ropeBase(), c.ropeStyle()));
            DeviceBuffer keys = s.kv.keys(l), values = s.kv.values(l);
            run(new Op.Copy(s.k, 0, keys, (long) pos * kvDim, (long) n * kvDim));
            run(new Op.Copy(s.v, 0, values, (long) pos * kvDim, (long) n * kvDim));

            // att = softmax(q k^T / sqrt(headDim)) v over cache rows 0 .. pos+i (causal, GQA)
            run(new Op.Attention(s.q, keys, values, s.att, n, pos, c.heads(), c.kvHeads(), c.headDim(), scale));

            // x += att @ Wo
            matmul(w.wo(), s.att, s.xb, n);
            run(new Op.Add(s.x, s.xb, s.x, (long) n * dim, (long) n * dim));

            // ffn: x += (silu(xb @ Wgate) * (xb @ Wup)) @ Wdown, with xb = rmsnorm(x)
            run(new Op.RmsNorm(s.x, w.ffnNorm().buffer(), s.xb, n, dim, c.normEps()));
            backend.runIndependent(matmulOp(w.wGate(), s.xb, s.hb, n), matmulOp(w.wUp(), s.xb, s.hb2, n));
            run(new Op.SwiGlu(s.hb, s.hb2, s.hb, (long) n * ffn));
            matmul(w.wDown(), s.hb, s.xb, n);
            run(new Op.Add(s.x, s.xb, s.x, (long) n * dim, (long) n * dim));

            weights.release(w);
        }

        // logits = rmsnorm(x) @ output^T, for every position or only the last
        Weight output = weights.acquireOutput();
        if (allLogits) {
            s.ensureLogitRows(n);
            run(new Op.RmsNorm(s.x, g.outputNorm().buffer(), s.xb, n, dim, c.normEps()));
            matmul(output, s.xb, s.logits, n);
        } else {
            run(new Op.Copy(s.x, (long) (n - 1) * dim, s.xLast, 0, dim));
            run(new Op.RmsNorm(s.xLast, g.outputNorm().buffer(), s.xLast, 1, dim, c.normEps()));
            matmul(output, s.xLast, s.logits, 1);
        }
        weights.releaseOutput(output);
        forwardNanos += System.nanoTime() - t0;
        forwardPasses++;
    }

    /** Wall-clock nanoseconds spent in {@link #forward} so far (compute plus any wait for weights). */
    public long forwardNanos() {
        return forwardNanos;
    }

    /** Calls of {@link #forward} that completed. */
    public long forwardPasses() {
        return forwardPasses;
    }

    private void matmul(Weight w, DeviceBuffer x, DeviceBuffer out, int n) {
        run(matmulOp(w, x, out, n));
    }

    /** out (n, rows) = x (n, cols) @ W^T */
    private static Op.MatMul matmulOp(Weight w, DeviceBuffer x, DeviceBuffer out, int n) {
        return new Op.MatMul(w.buffer(), w.rows(), w.cols(), x, out, n);
    }

    private void run(Op op) {
        backend.run(op);
    }
}
