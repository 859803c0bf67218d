/** Contract suites (JUnit 5) that every adapter, built-in or plug-in, subclasses and passes. */
module io.aircela.tck {
    requires transitive io.aircela.api;
    requires transitive org.junit.jupiter.api;

    exports io.aircela.tck;

    uses io.aircela.quant.DequantizerProvider;
}
