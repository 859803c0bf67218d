package io.aircela.formats.quant;

import io.aircela.quant.Dequantizer;
import io.aircela.quant.DequantizerProvider;
import io.aircela.quant.QuantType;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * What every built-in format shares: its identity (name, block size, bytes per block, all from its
 * {@link QuantType}), being its own provider, the argument checks and the walk over blocks. A format
 * supplies only the math for one block.
 *
 * <p>The checks run once per call, before anything is written, so a bad offset or a truncated source
 * fails with a typed exception and leaves {@code dst} untouched (never a half-written row). The block
 * hooks are called once per block with in-bounds offsets, so they do no checks of their own;
 * they must not allocate. Formats whose block is a single weight override {@link #dequantize} and
 * {@link #dot} with their own loop, so the per-weight hook is bound statically in a final class.
 *
 * <p>Stateless and thread-safe, as are all subclasses.
 */
abstract class BlockDequantizer implements Dequantizer, DequantizerProvider {
    private final QuantType type;
    private final int blockSize;
    private final int bytesPerBlock;

    BlockDequantizer(QuantType type) {
        this.type = type;
        this.blockSize = type.blockSize();
        this.bytesPerBlock = type.bytesPerBlock();
    }

    @Override
    public final String typeName() {
        return type.name();
    }

    @Override
    public final Dequantizer create() {
        return this;
    }

    @Override
    public final int blockSize() {
        return blockSize;
    }

    @Override
    public final int bytesPerBlock() {
        return bytesPerBlock;
    }

    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int count) {
        int nb = check(src, srcOffset, dst, dstOffset, count);
        for (int i = 0; i < nb; i++)
            dequantizeBlock(src, srcOffset + (long) i * bytesPerBlock, dst, dstOffset + i * blockSize);
    }

    @Override
    public float dot(MemorySegment src, long srcOffset, float[] x, int xOffset, int count) {
        int nb = check(src, srcOffset, x, xOffset, count);
        float sum = 0f;
        for (int i = 0; i < nb; i++)
            sum = dotBlock(src, srcOffset + (long) i * bytesPerBlock, x, xOffset + i * blockSize, sum);
        return sum;
    }

    /**
     * Validates a {@code dequantize} or {@code dot} call: {@code count} is a non-negative whole number of
     * blocks, the stored bytes lie inside {@code src} and {@code [offset, offset+count)} inside {@code array}.
     *
     * @return the number of blocks
     * @throws IllegalArgumentException  when {@code count} is negative or not a multiple of the block size
     * @throws IndexOutOfBoundsException when the source bytes or the array range are out of bounds
     */
    final int check(MemorySegment src, long srcOffset, float[] array, int offset, int count) {
        if (count < 0 || count % blockSize != 0)
            throw new IllegalArgumentException(typeName() + ": count " + count
                    + " is not a non-negative multiple of the block size " + blockSize);
        Objects.checkFromIndexSize(offset, count, array.length);
        long bytes = (long) (count / blockSize) * bytesPerBlock;
        Objects.checkFromIndexSize(srcOffset, bytes, src.byteSize());
        return count / blockSize;
    }

    /**
     * Writes the {@link #blockSize()} weights of the block at byte {@code b} of {@code src} to
     * {@code dst[y ..]}.
     */
    abstract void dequantizeBlock(MemorySegment src, long b, float[] dst, int y);

    /**
     * Adds the block at byte {@code b} times {@code x[xi .. xi+blockSize)} to the running {@code sum}
     * and returns it. The running sum comes in (rather than a per-block sum going out) so each format keeps
     * its float accumulation order exactly, including formats that add several partial sums per block.
     */
    abstract float dotBlock(MemorySegment src, long b, float[] x, int xi, float sum);
}
