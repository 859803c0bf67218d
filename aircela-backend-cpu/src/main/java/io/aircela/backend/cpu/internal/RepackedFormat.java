package io.aircela.backend.cpu.internal;

import io.aircela.quant.QuantType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** The weight types with a rows-in-lanes layout ({@link Q4_0Repacked}, {@link Q4_KRepacked}, {@link Q8_0Repacked}). */
public enum RepackedFormat {
    Q4_0, Q4_K, Q8_0;

    /** The layout for weights of {@code type}, or null when it has none. */
    public static RepackedFormat of(QuantType type) {
        return switch (type) {
            case Q4_0 -> Q4_0;
            case Q4_K -> Q4_K;
            case Q8_0 -> Q8_0;
            default -> null;
        };
    }

    /** Rows per group. */
    public int group() {
        return switch (this) {
            case Q4_0 -> Q4_0Repacked.G;
            case Q4_K -> Q4_KRepacked.G;
            case Q8_0 -> Q8_0Repacked.G;
        };
    }

    /** Whether a {@code rows x cols} matrix can be repacked here. */
    public boolean supports(long rows, int cols) {
        return switch (this) {
            case Q4_0 -> Q4_0Repacked.supports(rows, cols);
            case Q4_K -> Q4_KRepacked.supports(rows, cols);
            case Q8_0 -> Q8_0Repacked.supports(rows, cols);
        };
    }

    /** Room for the repacked {@code rows x cols} matrix in {@code arena}. */
    public MemorySegment allocate(Arena arena, long rows, int cols) {
        return switch (this) {
            case Q4_0 -> Q4_0Repacked.allocate(arena, rows, cols);
            case Q4_K -> Q4_KRepacked.allocate(arena, rows, cols);
            case Q8_0 -> Q8_0Repacked.allocate(arena, rows, cols);
        };
    }

    /** Repacks row groups {@code [g0, g1)} of {@code w} ({@code cols} per row) into {@code rp}. */
    public void repack(MemorySegment w, MemorySegment rp, int cols, int g0, int g1) {
        switch (this) {
            case Q4_0 -> Q4_0Repacked.repack(w, rp, cols, g0, g1);
            case Q4_K -> Q4_KRepacked.repack(w, rp, cols, g0, g1);
            case Q8_0 -> Q8_0Repacked.repack(w, rp, cols, g0, g1);
        }
    }
}
