/** The {@code aircela} command: the composition root. */
module io.aircela.cli {
    requires io.aircela.engine;
    requires io.aircela.formats; // the demo's GGUF writer
    requires info.picocli;
    requires org.slf4j;
    requires com.fasterxml.jackson.databind;


    opens io.aircela.cli to info.picocli;
}
