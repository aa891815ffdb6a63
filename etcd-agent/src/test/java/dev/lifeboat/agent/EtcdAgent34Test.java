package dev.lifeboat.agent;

import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

/** {@link EtcdAgentCases}, the agent supervising Debian 12's etcd 3.4. */
@QuarkusTest
@WithTestResource(value = AgentTestResource.class, initArgs = @ResourceArg(name = "etcd-version", value = "3.4"))
class EtcdAgent34Test extends EtcdAgentCases {
}
