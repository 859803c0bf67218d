/** Contract suites: abstract JUnit 5 classes that adapters subclass in a few lines. */
package io.aircela.tck;
