package io.aircela.backend.cpu.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * What the repacked layouts ({@link Q4_0Repacked}, {@link Q4_KRepacked}, {@link Q8_0Repacked}) share: rows in groups
 * of {@code g} (a vector's lanes), each group stored block by block, {@code groupBlockBytes} per group and block of
 * {@code blockCols} columns.
 */
final class RowGroups {
    private RowGroups() {
    }

    /**
     * Whether a {@code rows x cols} matrix can be repacked in groups of {@code g} rows: vector kernels on, 128 bits
     * or more, groups that divide the GEMM's {@link PanelGemm#RW}-row panels, whole groups and blocks.
     */
    static boolean supports(int g, int blockCols, long rows, int cols) {
        return VectorWidth.ENABLED && VectorWidth.FLOATS.vectorBitSize() >= 128 && PanelGemm.RW % g == 0
                && rows % g == 0 && cols % blockCols == 0 && rows > 0;
    }

    /** Bytes of the repacked {@code rows x cols} matrix. */
    static long byteSize(int g, int blockCols, int groupBlockBytes, long rows, int cols) {
        return rows / g * (cols / blockCols) * (long) groupBlockBytes;
    }

    /** Room for the repacked {@code rows x cols} matrix in {@code arena}, 64-byte aligned. */
    static MemorySegment allocate(Arena arena, int g, int blockCols, int groupBlockBytes, long rows, int cols) {
        return arena.allocate(byteSize(g, blockCols, groupBlockBytes, rows, cols), 64);
    }
}
