package dev.lifeboat.restore;

import dev.lifeboat.events.testing.ServiceReadinessContract;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

/** On the stack of the other 3.5 classes (no stack of its own). */
@QuarkusTest
@WithTestResource(value = ReplaceStackResource.class, initArgs = @ResourceArg(name = "etcd-tls", value = "true"))
class RestoreServiceReadinessIT extends ServiceReadinessContract {
}
