package dev.lifeboat.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/** The services' JVM options start this JDK without a warning, and an option removed in JDK 21 is only given to older ones. */
class JvmOptionsTest {

    @Test
    void theOptionsStartThisJdkWithoutAWarning() throws Exception {
        List<String> command = new ArrayList<>(List.of(Binaries.java()));
        command.addAll(QuarkusService.JVM_OPTIONS);
        command.add("-version");
        Process jvm = new ProcessBuilder(command).redirectErrorStream(true).start();
        assertTrue(jvm.waitFor(60, TimeUnit.SECONDS), "java -version ended");
        String output = new String(jvm.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, jvm.exitValue(), output);
        assertFalse(output.toLowerCase(Locale.ROOT).contains("warning"), output);
    }

    @Test
    void metaspaceReclaimIsOnlyAskedOfJdksThatHaveIt() {
        assertTrue(QuarkusService.jvmOptions(17, false).contains("-XX:MetaspaceReclaimPolicy=aggressive"));
        assertFalse(QuarkusService.jvmOptions(21, false).stream().anyMatch(option -> option.startsWith("-XX:MetaspaceReclaimPolicy")));
        assertTrue(QuarkusService.jvmOptions(25, false).contains("-Xmx128m"));
    }

    @Test
    void theNativeHeapIsTrimmedOnlyByJdksThatKnowTheOption() {
        assertTrue(QuarkusService.hasVmOption("MaxHeapFreeRatio"));
        assertFalse(QuarkusService.hasVmOption("NoSuchOptionAnywhere"));
        assertTrue(QuarkusService.jvmOptions(17, true).contains("-XX:TrimNativeHeapInterval=10000"));
        assertFalse(QuarkusService.jvmOptions(17, false).stream().anyMatch(option -> option.startsWith("-XX:TrimNativeHeapInterval")));
        // the services run with it exactly when this JDK has it (this machine's 17.0.15 and 25 do)
        assertEquals(QuarkusService.hasVmOption("TrimNativeHeapInterval"), QuarkusService.JVM_OPTIONS.contains("-XX:TrimNativeHeapInterval=10000"),
                QuarkusService.JVM_OPTIONS.toString());
    }

    @Test
    void theHelmChartGivesThePodsTheSameOptions() throws Exception {
        String values = Files.readString(Path.of("../helm/lifeboat/values.yaml"));
        int start = values.indexOf("javaOptions: >-");
        assertTrue(start >= 0, "values.yaml has javaOptions");
        List<String> chart = new ArrayList<>();
        for (String line : values.substring(start).lines().skip(1).takeWhile(line -> line.startsWith("  ")).toList()) {
            chart.addAll(Arrays.asList(line.trim().split("\\s+")));
        }
        // the image's JDK decides about the two JDK-dependent options; every other one must be the same
        assertEquals(QuarkusService.jvmOptions(21, false), chart, "deploy/helm/lifeboat/values.yaml javaOptions");
    }
}
