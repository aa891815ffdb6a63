package dev.lifeboat.restore;

import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

/** Point-in-time restores on Debian 12's etcd 3.4 over plain http (REPLACE with its etcdctl, no bump). */
@QuarkusTest
@WithTestResource(value = ReplaceStackResource.class, initArgs = @ResourceArg(name = "etcd-version", value = "3.4"))
class PointInTimeRestore34IT extends PointInTimeRestoreCases {
}
