package io.aircela.cli;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ByteSizeTest {
    @Test
    void unitsAreBinaryMultiples() {
        assertEquals(512L << 20, ByteSize.parse("512M"));
        assertEquals(4L << 30, ByteSize.parse("4g"));
        assertEquals(3L << 29, ByteSize.parse("1.5G"));
        assertEquals(300L << 20, ByteSize.parse("300MiB"));
        assertEquals(2048, ByteSize.parse("2K"));
        assertEquals(1048576, ByteSize.parse("1048576"));
    }

    @Test
    void nonsenseIsRefusedWithAnExample() {
        for (String bad : new String[]{"", "M", "12X", "-1G", "0", "99999999999T"})
            assertThrows(IllegalArgumentException.class, () -> ByteSize.parse(bad), bad);
    }
}
