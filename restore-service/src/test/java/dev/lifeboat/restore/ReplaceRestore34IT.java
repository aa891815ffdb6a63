package dev.lifeboat.restore;

import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * The REPLACE cases on Debian 12's etcd 3.4 over plain http, restored with its etcdctl: no revision bump,
 * and a note that says so.
 */
@QuarkusTest
@WithTestResource(value = ReplaceStackResource.class, initArgs = @ResourceArg(name = "etcd-version", value = "3.4"))
class ReplaceRestore34IT extends ReplaceRestoreCases {
}
