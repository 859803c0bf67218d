package io.aircela.engine.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.aircela.AirCelaException;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * The one place that touches DJL's HuggingFace tokenizers (Rust, through JNI), strictly offline.
 *
 * <p>What DJL 0.38 would otherwise do over the network, and what stops it (read from its code):
 * <ul>
 *   <li>{@code HuggingFaceTokenizer.newInstance(...)} calls {@code Ec2Utils.callHome} (telemetry: EC2
 *       metadata requests, then an S3 request) unless {@code Utils.isOfflineMode()} or
 *       {@code OPT_OUT_TRACKING=true};</li>
 *   <li>the native library is copied out of the jar into {@code DJL_CACHE_DIR} (default
 *       {@code ~/.djl.ai/tokenizers}); on a machine with CUDA, DJL picks a {@code cuXXX} flavor, which is not
 *       in the jar and is downloaded, unless offline mode forces the {@code cpu} flavor. An explicit
 *       {@code RUST_FLAVOR=cu...} in the environment overrides even offline mode, so it is refused here;</li>
 *   <li>{@code newInstance(String name)} downloads from the Hub: never called (only JSON text is passed in).</li>
 * </ul>
 * So, before any DJL class loads, this sets the system properties {@code ai.djl.offline=true},
 * {@code offline=true} (which {@code isOfflineMode} also honours, whatever the {@code DJL_OFFLINE}
 * environment says) and {@code OPT_OUT_TRACKING=true}.
 *
 * <p>Thread-safe; the properties are set once per JVM.
 */
final class DjlTokenizers {
    /** System properties set before DJL is touched, and the values they get. */
    static final Map<String, String> OFFLINE_PROPERTIES =
            Map.of("ai.djl.offline", "true", "offline", "true", "OPT_OUT_TRACKING", "true");
    private static final Map<String, String> OPTIONS =
            Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false");

    private DjlTokenizers() {
    }

    /** Sets the offline properties (idempotent). */
    static synchronized void goOffline() {
        OFFLINE_PROPERTIES.forEach(System::setProperty);
    }

    /**
     * Refuses a {@code RUST_FLAVOR} that would make DJL download a CUDA build of the library.
     *
     * @param flavor the environment's {@code RUST_FLAVOR}, or null
     */
    static void checkFlavor(String flavor) {
        if (flavor == null || flavor.isBlank() || flavor.strip().toLowerCase(Locale.ROOT).equals("cpu")) return;
        throw new AirCelaException("RUST_FLAVOR=" + flavor + " asks DJL for a tokenizers build that is not in its jar "
                + "and would be downloaded; AirCELA never downloads at run time. Unset RUST_FLAVOR (the CPU build is "
                + "bundled) or point RUST_LIBRARY_PATH at a local libtokenizers");
    }

    /**
     * A DJL tokenizer for the text of a {@code tokenizer.json}: no special tokens added, no truncation,
     * no padding (the adapter adds BOS/EOS itself). The caller closes it.
     *
     * @param file only names the file in messages
     */
    static HuggingFaceTokenizer load(String json, Path file) {
        checkFlavor(System.getenv("RUST_FLAVOR"));
        goOffline();
        try {
            return HuggingFaceTokenizer.newInstance(
                    new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), OPTIONS);
        } catch (UnsatisfiedLinkError | ExceptionInInitializerError | NoClassDefFoundError e) {
            throw nativeFailure(e);
        } catch (IOException e) {
            throw new AirCelaException("cannot read " + file + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            if (isNativeLoadFailure(e)) throw nativeFailure(e);
            // the Rust side rejected the JSON (unknown model type, bad merges, ...)
            throw new io.aircela.ModelFormatException(file, "", -1, "the HuggingFace tokenizers library refused it: "
                    + e.getMessage() + "; check that tokenizer.json is complete and from a tokenizers release", e);
        }
    }

    private static boolean isNativeLoadFailure(RuntimeException e) {
        for (Throwable t = e; t != null; t = t.getCause())
            if (t.getClass().getName().equals("ai.djl.engine.EngineException")
                    || t instanceof UnsatisfiedLinkError) return true;
        return false;
    }

    private static AirCelaException nativeFailure(Throwable e) {
        String platform = System.getProperty("os.name") + "/" + System.getProperty("os.arch");
        return new AirCelaException("cannot load DJL's HuggingFace tokenizers native library on " + platform + " ("
                + e + "); AirCELA reads tokenizer.json through it. The jar bundles linux-x86_64, linux-aarch64, "
                + "osx-aarch64 and win-x86_64; elsewhere set RUST_LIBRARY_PATH to a libtokenizers built for this "
                + "platform, check that DJL_CACHE_DIR (default ~/.djl.ai) is writable, or use a GGUF file", e);
    }
}
