package io.aircela.formats.safetensors;

import io.aircela.quant.Fp16;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes {@code .safetensors} files for tests: well-formed ones from float data, and arbitrary header
 * bytes and lengths for the malformed cases.
 */
final class SafetensorsWriter {
    /** One tensor: HF shape (outermost first) and its little-endian bytes. */
    record Tensor(String name, String dtype, long[] shape, byte[] data) {
    }

    private final List<Tensor> tensors = new ArrayList<>();
    private Map<String, String> metadata = Map.of();

    SafetensorsWriter add(String name, String dtype, float[] values, long... shape) {
        return raw(name, dtype, shape, encode(dtype, values));
    }

    SafetensorsWriter raw(String name, String dtype, long[] shape, byte[] data) {
        tensors.add(new Tensor(name, dtype, shape, data));
        return this;
    }

    SafetensorsWriter metadata(Map<String, String> metadata) {
        this.metadata = metadata;
        return this;
    }

    /** The header JSON the tensors get, data packed in insertion order. */
    String header() {
        StringBuilder sb = new StringBuilder("{");
        if (!metadata.isEmpty()) {
            sb.append("\"__metadata__\":{");
            metadata.forEach((k, v) -> sb.append('"').append(k).append("\":\"").append(v).append("\","));
            sb.setLength(sb.length() - 1);
            sb.append("},");
        }
        long at = 0;
        for (Tensor t : tensors) {
            sb.append('"').append(t.name()).append("\":{\"dtype\":\"").append(t.dtype()).append("\",\"shape\":[");
            for (int i = 0; i < t.shape().length; i++) sb.append(i == 0 ? "" : ",").append(t.shape()[i]);
            sb.append("],\"data_offsets\":[").append(at).append(',').append(at + t.data().length).append("]},");
            at += t.data().length;
        }
        if (sb.length() > 1) sb.setLength(sb.length() - 1);
        return sb.append('}').toString();
    }

    byte[] data() {
        int n = 0;
        for (Tensor t : tensors) n += t.data().length;
        ByteBuffer b = ByteBuffer.allocate(n);
        for (Tensor t : tensors) b.put(t.data());
        return b.array();
    }

    Path write(Path file) {
        return write(file, header(), data());
    }

    /** A file with this header text (space-padded to a multiple of 8, as the reference writer does). */
    static Path write(Path file, String header, byte[] data) {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        byte[] h = new byte[padded];
        java.util.Arrays.fill(h, (byte) ' ');
        System.arraycopy(json, 0, h, 0, json.length);
        return write(file, padded, h, data);
    }

    /** A file whose length field says {@code declared}, followed by exactly these bytes. */
    static Path write(Path file, long declared, byte[] header, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(declared).put(header).put(data);
        try {
            return Files.write(file, b.array());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] encode(String dtype, float[] values) {
        int width = dtype.equals("F32") ? 4 : 2;
        ByteBuffer b = ByteBuffer.allocate(values.length * width).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values)
            switch (dtype) {
                case "F32" -> b.putFloat(v);
                case "F16" -> b.putShort(Fp16.fromFloat(v));
                case "BF16" -> b.putShort(Fp16.floatToBf16(v));
                default -> throw new IllegalArgumentException(dtype);
            }
        return b.array();
    }
}
