package org.fx4j.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The allocator settings read from an environment, as `fx bench` reports them. */
class MallocSettingsTest {

    @Test
    void glibcDefaultsAreNamedAndNotRecommended() {
        MallocSettings none = MallocSettings.of(name -> null);
        assertEquals("glibc defaults", none.describe());
        assertFalse(none.isRecommended());
        assertTrue(none.variables().isEmpty());
    }

    @Test
    void theRecommendedEnvironmentIsRecognisedAndListedInOrder() {
        Map<String, String> env = new HashMap<>(MallocSettings.RECOMMENDED);
        env.put("PATH", "/usr/bin");
        MallocSettings s = MallocSettings.of(env::get);
        assertTrue(s.isRecommended());
        assertEquals("MALLOC_ARENA_MAX=1 MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=4294967296", s.describe());
    }

    @Test
    void anOtherValueOrAPartialSetIsReportedButNotRecommended() {
        Map<String, String> env = new HashMap<>(MallocSettings.RECOMMENDED);
        env.put("MALLOC_ARENA_MAX", "4");
        assertFalse(MallocSettings.of(env::get).isRecommended());
        MallocSettings tunables = MallocSettings.of(Map.of("GLIBC_TUNABLES", "glibc.malloc.trim_threshold=1")::get);
        assertFalse(tunables.isRecommended());
        assertEquals("GLIBC_TUNABLES=glibc.malloc.trim_threshold=1", tunables.describe());
        assertEquals("glibc defaults", MallocSettings.of(Map.of("GLIBC_TUNABLES", "glibc.pthread.rseq=0")::get).describe(),
                "tunables of other glibc parts leave the allocator as configured");
    }
}
