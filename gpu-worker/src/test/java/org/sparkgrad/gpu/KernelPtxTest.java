package org.sparkgrad.gpu;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compiles every kernel source with {@code nvcc -ptx} for the oldest architecture CUDA 13 supports, so a
 * kernel that does not compile fails the build. Skipped (not passed) where nvcc is not on the PATH. NVRTC,
 * not nvcc, compiles the kernels at run time; this only guards the sources.
 */
class KernelPtxTest {
    static final Path CUDA_SOURCES = Path.of("src", "main", "cuda");

    @Test
    void everyKernelCompilesToPtx(@TempDir Path out) throws Exception {
        Assumptions.assumeTrue(onPath("nvcc"), "nvcc is not on the PATH: the kernels' PTX compile check is skipped");
        List<Path> sources;
        try (Stream<Path> files = Files.list(CUDA_SOURCES)) {
            sources = files.filter(p -> p.toString().endsWith(".cu")).sorted().toList();
        }
        assertFalse(sources.isEmpty(), "expected .cu files in " + CUDA_SOURCES.toAbsolutePath());
        StringBuilder failures = new StringBuilder();
        for (Path cu : sources) {
            Path ptx = out.resolve(cu.getFileName().toString().replace(".cu", ".ptx"));
            Process p = new ProcessBuilder("nvcc", "-ptx", "-arch=sm_75", "-o", ptx.toString(), cu.toString())
                    .redirectErrorStream(true).start();
            String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                failures.append(cu).append(": nvcc did not finish in 120 s\n");
            } else if (p.exitValue() != 0 || !Files.exists(ptx)) {
                failures.append(cu).append(": nvcc exited with ").append(p.exitValue()).append('\n').append(log).append('\n');
            }
        }
        if (failures.length() > 0) {
            fail("kernels that do not compile with nvcc -ptx -arch=sm_75:\n" + failures);
        }
    }

    /** Whether a command can be started (it answers --version). */
    static boolean onPath(String command) {
        try {
            Process p = new ProcessBuilder(command, "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
