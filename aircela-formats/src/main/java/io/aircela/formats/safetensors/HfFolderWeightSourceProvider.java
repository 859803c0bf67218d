package io.aircela.formats.safetensors;

import io.aircela.formats.internal.MappedFile;
import io.aircela.weights.WeightSource;
import io.aircela.weights.WeightSourceProvider;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Opens HuggingFace model folders and {@code .safetensors} files. Probing reads at most 9 bytes: a folder
 * with {@code config.json} and {@code model.safetensors} or its shard index scores 100 (one with only
 * {@code config.json} scores 1, so opening it explains what is missing); a file whose first bytes are a
 * plausible header length followed by {@code '{'} scores 100, any other {@code *.safetensors} file 1.
 */
public final class HfFolderWeightSourceProvider implements WeightSourceProvider {
    @Override
    public String name() {
        return "safetensors";
    }

    @Override
    public int probe(Path path) {
        try {
            if (Files.isDirectory(path)) {
                if (!Files.isRegularFile(path.resolve(HfFolder.CONFIG))) return 0;
                boolean weights = Files.isRegularFile(path.resolve(HfFolder.SINGLE))
                        || Files.isRegularFile(path.resolve(HfFolder.INDEX));
                return weights ? 100 : 1;
            }
            if (!Files.isRegularFile(path)) return 0;
            if (hasPlausibleHeader(path)) return 100;
            return path.getFileName().toString().toLowerCase().endsWith(".safetensors") ? 1 : 0;
        } catch (RuntimeException e) { // e.g. a path the file system cannot represent: not ours
            return 0;
        }
    }

    @Override
    public WeightSource open(Path path) {
        return HfWeightSource.open(path);
    }

    /** u64 header length N within limits and the file, then '{'. */
    private static boolean hasPlausibleHeader(Path path) {
        ByteBuffer b = ByteBuffer.allocate(9).order(ByteOrder.LITTLE_ENDIAN);
        long size = MappedFile.readHead(path, b);
        if (size < 0) return false;
        long n = b.getLong(0);
        return n >= 2 && n <= HfJson.MAX_BYTES && n <= size - 8 && b.get(8) == '{';
    }
}
