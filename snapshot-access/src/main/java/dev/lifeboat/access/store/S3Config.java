package dev.lifeboat.access.store;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** The S3-compatible object store every service that touches snapshots uses, under {@code lifeboat.s3}. */
@ConfigMapping(prefix = "lifeboat.s3")
public interface S3Config {

    /** S3 endpoint URL, e.g. {@code https://s3.eu-central-1.amazonaws.com}. */
    String endpoint();

    /** Region of the bucket. */
    @WithDefault("us-east-1")
    String region();

    /** Access key id. */
    String accessKey();

    /** Secret access key; never logged. */
    String secretKey();

    /** Bucket used when a cluster names none. */
    @WithDefault("lifeboat")
    String bucket();
}
