package dev.lifeboat.restore;

import dev.lifeboat.events.testing.LocalStackResource;
import dev.lifeboat.events.testing.ServiceReadinessContract;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

@QuarkusTest
@WithTestResource(LocalStackResource.class)
class RestoreServiceReadinessIT extends ServiceReadinessContract {
}
