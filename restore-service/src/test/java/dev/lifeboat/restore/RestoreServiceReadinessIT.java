package dev.lifeboat.restore;

import dev.lifeboat.events.testing.ServiceReadinessContract;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

@QuarkusTest
@WithTestResource(RestoreStackResource.class)
class RestoreServiceReadinessIT extends ServiceReadinessContract {
}
