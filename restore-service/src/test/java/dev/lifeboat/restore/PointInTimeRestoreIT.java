package dev.lifeboat.restore;

import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * Point-in-time restores on etcd 3.5 with client-certificate TLS; the REPLACE restores the bbolt file
 * Lifeboat replayed with etcdutl, bumping the revision and marking it compacted.
 */
@QuarkusTest
@WithTestResource(value = ReplaceStackResource.class, initArgs = @ResourceArg(name = "etcd-tls", value = "true"))
class PointInTimeRestoreIT extends PointInTimeRestoreCases {
}
