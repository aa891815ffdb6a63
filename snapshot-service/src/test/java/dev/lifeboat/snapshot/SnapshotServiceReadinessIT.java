package dev.lifeboat.snapshot;

import dev.lifeboat.events.testing.LocalStackResource;
import dev.lifeboat.events.testing.ServiceReadinessContract;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

@QuarkusTest
@WithTestResource(LocalStackResource.class)
class SnapshotServiceReadinessIT extends ServiceReadinessContract {
}
