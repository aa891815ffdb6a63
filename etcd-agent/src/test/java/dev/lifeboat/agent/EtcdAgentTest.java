package dev.lifeboat.agent;

import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

/** {@link EtcdAgentCases}, the agent supervising etcd 3.5. */
@QuarkusTest
@WithTestResource(value = AgentTestResource.class, initArgs = @ResourceArg(name = "etcd-version", value = "3.5"))
class EtcdAgentTest extends EtcdAgentCases {
}
