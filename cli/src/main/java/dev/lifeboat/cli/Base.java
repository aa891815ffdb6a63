package dev.lifeboat.cli;

import java.io.PrintWriter;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** What every command has: the root command's options (service URLs) and its own output stream. */
abstract class Base {

    @Spec
    CommandSpec spec;

    Lifeboat root() {
        return (Lifeboat) spec.root().userObject();
    }

    Output output(Format format) {
        return new Output(spec.commandLine().getOut(), format.parse());
    }

    PrintWriter out() {
        return spec.commandLine().getOut();
    }
}
