package io.aircela.cli;

import java.math.BigDecimal;
import java.util.Locale;

/** Parses sizes as people write them: {@code 512M}, {@code 4G}, {@code 1.5G}, {@code 300MiB}, {@code 1048576} (bytes). Binary multiples. */
final class ByteSize {
    private ByteSize() {
    }

    /**
     * Bytes of {@code text}: a number, optionally followed by K, M, G or T (with an optional {@code B} or {@code iB}).
     *
     * @throws IllegalArgumentException saying what was expected
     */
    static long parse(String text) {
        String s = text.strip().toUpperCase(Locale.ROOT);
        if (s.endsWith("IB")) s = s.substring(0, s.length() - 2);
        else if (s.endsWith("B")) s = s.substring(0, s.length() - 1);
        int shift = 0;
        if (!s.isEmpty()) {
            int unit = "KMGT".indexOf(s.charAt(s.length() - 1));
            if (unit >= 0) {
                shift = 10 * (unit + 1);
                s = s.substring(0, s.length() - 1);
            }
        }
        try {
            BigDecimal bytes = new BigDecimal(s.strip()).multiply(BigDecimal.valueOf(2).pow(shift));
            if (bytes.signum() <= 0) throw new NumberFormatException("not positive");
            return bytes.setScale(0, java.math.RoundingMode.DOWN).longValueExact();
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("expected a size such as 512M, 4G or 1.5G (bytes without a unit), got '"
                    + text + "'");
        }
    }
}
