package dev.lifeboat.snapshot;

import dev.lifeboat.events.testing.LocalStackResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

/** {@link DeltaCaptureCases}, against Debian 12's etcd 3.4. */
@QuarkusTest
@WithTestResource(value = LocalStackResource.class, initArgs = @ResourceArg(name = "etcd-version", value = "3.4"))
class DeltaCapture34IT extends DeltaCaptureCases {
}
