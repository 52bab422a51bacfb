package io.siman.models;

import io.siman.api.Backend;
import io.siman.api.BackendRegistry;
import io.siman.api.Shape;
import io.siman.api.Tensor;
import io.siman.api.UnknownNameException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SimanFacadeTest {
    @Test
    void buildsTheNamedBackendThroughGuice() {
        try (Siman siman = Siman.builder().backend("cpu").threads(2).build()) {
            Backend b = siman.backend();
            assertEquals("cpu", b.name());
            assertEquals(2, b.threads());
            assertSame(b, siman.backend(), "one backend per facade");
            assertEquals(BackendRegistry.Source.EXPLICIT, siman.selection().source());
            try (Tensor t = b.upload(new float[]{1, 2}, Shape.of(2))) {
                assertArrayEquals(new float[]{1, 2}, b.downloadFloats(t));
            }
            assertEquals("siman", siman.binarizer("siman").name());
            assertTrue(siman.binarizers().names().contains("irnet"));
        }
    }

    @Test
    void unknownNamesAreOneLineErrors() {
        UnknownNameException e = assertThrows(UnknownNameException.class,
                () -> Siman.builder().backend("nope").build().selection());
        // siman-models tests also see the GPU backend (a test dependency), so both names are listed.
        assertEquals("unknown backend 'nope'; known: cpu, gpu", e.getMessage());
        try (Siman siman = Siman.builder().backend("cpu").build()) {
            UnknownNameException b = assertThrows(UnknownNameException.class, () -> siman.binarizer("bnn"));
            assertEquals("unknown binarizer 'bnn'; known: siman, xnor, irnet, none", b.getMessage());
        }
    }
}
