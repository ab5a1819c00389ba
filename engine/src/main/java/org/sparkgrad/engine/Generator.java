package org.sparkgrad.engine;

import java.util.SplittableRandom;

/**
 * A seedable source of random numbers for tensor creation and initialisation. The same seed gives the
 * same numbers on every machine and JVM. (The streams are not PyTorch's: a seed here does not reproduce
 * torch.manual_seed's values.)
 */
public final class Generator {
    private static final Generator DEFAULT = new Generator(0x5eed);

    private SplittableRandom random;
    private double spareNormal;
    private boolean hasSpare;

    /** A generator seeded with {@code seed}. */
    public Generator(long seed) {
        manualSeed(seed);
    }

    /** The process-wide generator used when none is given. */
    public static Generator defaultGenerator() {
        return DEFAULT;
    }

    /** Reseeds the process-wide generator, like {@code torch.manual_seed}. */
    public static void manualSeedAll(long seed) {
        DEFAULT.manualSeed(seed);
    }

    /** Restarts this generator's stream from {@code seed}. */
    public synchronized Generator manualSeed(long seed) {
        random = new SplittableRandom(seed);
        hasSpare = false;
        return this;
    }

    /** Uniform in [0, 1). */
    public synchronized double nextUniform() {
        return random.nextDouble();
    }

    /** Standard normal (Marsaglia's polar method). */
    public synchronized double nextNormal() {
        if (hasSpare) {
            hasSpare = false;
            return spareNormal;
        }
        double u;
        double v;
        double s;
        do {
            u = random.nextDouble() * 2 - 1;
            v = random.nextDouble() * 2 - 1;
            s = u * u + v * v;
        } while (s >= 1 || s == 0);
        double m = Math.sqrt(-2 * Math.log(s) / s);
        spareNormal = v * m;
        hasSpare = true;
        return u * m;
    }

    /** A uniform integer in [0, bound). */
    public synchronized int nextInt(int bound) {
        return random.nextInt(bound);
    }
}
