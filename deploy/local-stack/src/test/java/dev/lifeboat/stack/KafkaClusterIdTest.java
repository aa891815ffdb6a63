package dev.lifeboat.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.Base64;

import org.junit.jupiter.api.Test;

class KafkaClusterIdTest {

    /** One id in 64 started with '-' before, and the storage tool took it for an option. */
    @Test
    void clusterIdsAreSixteenBytesAndNeverLookLikeAnOption() {
        for (int i = 0; i < 5000; i++) {
            String id = KafkaBroker.clusterId();
            assertFalse(id.startsWith("-"), id);
            assertEquals(16, Base64.getUrlDecoder().decode(id).length, id);
        }
    }
}
