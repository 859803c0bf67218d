package io.aircela.backend.cpu.internal;

import io.aircela.compute.DeviceBuffer;
import io.aircela.quant.QuantType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.function.Consumer;

/**
 * A CPU "device" buffer: a memory segment plus its element type. Allocated buffers own a shared
 * {@link Arena} (shared so that every worker thread may read them) that {@link #close()} frees;
 * uploaded weights alias the caller's segment and free nothing. After close the segment is
 * unusable: {@link #segment()} throws and, for owned memory, any stale slice fails on access.
 */
public final class CpuBuffer implements DeviceBuffer {
    private final Object owner;
    private final QuantType type;
    private final long elements;
    private final MemorySegment segment;
    private final Arena arena;
    private final Consumer<CpuBuffer> onClose;
    private volatile boolean closed;
    /** MatMuls that used this buffer as their weight (a repacked copy is made on the second). */
    private int weightUses;
    private Arena repackArena;
    private MemorySegment repacked;

    public CpuBuffer(Object owner, QuantType type, long elements, MemorySegment segment, Arena arena,
                     Consumer<CpuBuffer> onClose) {
        this.owner = owner;
        this.type = type;
        this.elements = elements;
        this.segment = segment;
        this.arena = arena;
        this.onClose = onClose;
    }

    @Override
    public QuantType type() {
        return type;
    }

    @Override
    public long elements() {
        return elements;
    }

    /** The backend that made it. */
    public Object owner() {
        return owner;
    }

    /** Whether the memory is the caller's (an upload alias) rather than this buffer's own. */
    public boolean isAlias() {
        return arena == null;
    }

    public boolean isClosed() {
        return closed;
    }

    /** The bytes; throws {@link IllegalStateException} once closed. */
    public MemorySegment segment() {
        if (closed) throw new IllegalStateException("this " + type + " buffer of " + elements + " elements is closed");
        return segment;
    }

    /** Counts one more use as a MatMul weight; returns the count. */
    public int countWeightUse() {
        return ++weightUses;
    }

    /** The kernel-friendly copy of these weights, or null. */
    public MemorySegment repacked() {
        return repacked;
    }

    /**
     * Makes {@code arena}'s {@code copy} this buffer's repacked form (freed with the buffer). The bytes must not
     * change afterwards: repacked buffers are uploaded weights, which the caller keeps unchanged while in use.
     */
    public synchronized void setRepacked(Arena arena, MemorySegment copy) {
        if (closed) {
            arena.close();
            return;
        }
        this.repackArena = arena;
        this.repacked = copy;
    }

    @Override
    public void close() {
        Arena extra;
        synchronized (this) {
            if (closed) return;
            closed = true;
            extra = repackArena;
            repackArena = null;
            repacked = null;
        }
        if (extra != null) extra.close();
        if (arena != null) arena.close();
        onClose.accept(this);
    }

    @Override
    public String toString() {
        return "CpuBuffer[" + type + " x " + elements + (isAlias() ? ", alias" : "") + (closed ? ", closed]" : "]");
    }
}
