package dev.lifeboat.access.store;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import com.google.common.collect.HashMultimap;

import io.minio.GetObjectArgs;
import io.minio.MinioAsyncClient;
import io.minio.ListObjectsArgs;
import io.minio.PutObjectArgs;
import io.minio.RemoveObjectArgs;
import io.minio.RemoveObjectsArgs;
import io.minio.Result;
import io.minio.StatObjectArgs;
import io.minio.errors.ErrorResponseException;
import io.minio.messages.DeleteError;
import io.minio.messages.DeleteObject;
import io.minio.messages.Item;
import io.minio.messages.Part;
import io.minio.messages.Upload;
import jakarta.enterprise.context.ApplicationScoped;

/** {@link ObjectStore} on any S3-compatible server, through the MinIO Java SDK. */
@ApplicationScoped
public class MinioObjectStore implements ObjectStore {

    private static final long TIMEOUT_SECONDS = 300;

    private final MinioAsyncClient client;
    private final String region;

    public MinioObjectStore(S3Config s3) {
        this.region = s3.region();
        this.client = MinioAsyncClient.builder().endpoint(s3.endpoint()).region(s3.region())
                .credentials(s3.accessKey(), s3.secretKey()).build();
    }

    @Override
    public void put(String bucket, String key, byte[] bytes, int length, Map<String, String> metadata) {
        call("store", bucket, key, () -> client.putObject(PutObjectArgs.builder().bucket(bucket).object(key)
                .stream(new java.io.ByteArrayInputStream(bytes, 0, length), length, -1).userMetadata(metadata).build()));
    }

    @Override
    public String startUpload(String bucket, String key, Map<String, String> metadata) {
        HashMultimap<String, String> headers = HashMultimap.create();
        metadata.forEach((name, value) -> headers.put("x-amz-meta-" + name, value));
        return call("start an upload of", bucket, key,
                () -> client.createMultipartUploadAsync(bucket, region, key, headers, null))
                .result().uploadId();
    }

    @Override
    public String uploadPart(String bucket, String key, String uploadId, int number, byte[] bytes, int length) {
        return call("upload part " + number + " of", bucket, key,
                () -> client.uploadPartAsync(bucket, region, key, bytes, length, uploadId, number, null, null)).etag();
    }

    @Override
    public void complete(String bucket, String key, String uploadId, List<String> etags) {
        Part[] parts = new Part[etags.size()];
        for (int i = 0; i < parts.length; i++) {
            parts[i] = new Part(i + 1, etags.get(i));
        }
        call("complete the upload of", bucket, key,
                () -> client.completeMultipartUploadAsync(bucket, region, key, uploadId, parts, null, null));
    }

    @Override
    public void abort(String bucket, String key, String uploadId) {
        try {
            call("abort the upload of", bucket, key,
                    () -> client.abortMultipartUploadAsync(bucket, region, key, uploadId, null, null));
        } catch (ObjectStoreException e) {
            if (!(e.getCause() instanceof ErrorResponseException error && "NoSuchUpload".equals(error.errorResponse().code()))) {
                throw e;
            }
        }
    }

    @Override
    public long size(String bucket, String key) {
        try {
            return call("read", bucket, key, () -> client.statObject(StatObjectArgs.builder().bucket(bucket).object(key).build())).size();
        } catch (ObjectStoreException e) {
            if (e.getCause() instanceof ErrorResponseException error && "NoSuchKey".equals(error.errorResponse().code())) {
                return -1;
            }
            throw e;
        }
    }

    @Override
    public InputStream get(String bucket, String key) {
        return call("read", bucket, key, () -> client.getObject(GetObjectArgs.builder().bucket(bucket).object(key).build()));
    }

    @Override
    public void delete(String bucket, String key) {
        call("delete", bucket, key, () -> client.removeObject(RemoveObjectArgs.builder().bucket(bucket).object(key).build()));
    }

    @Override
    public List<StoredObject> list(String bucket, String prefix) {
        List<StoredObject> objects = new ArrayList<>();
        try {
            for (Result<Item> result : client.listObjects(ListObjectsArgs.builder().bucket(bucket).prefix(prefix).recursive(true).build())) {
                Item item = result.get();
                if (!item.isDir()) {
                    objects.add(new StoredObject(item.objectName(), item.size(),
                            item.lastModified() == null ? null : item.lastModified().toInstant()));
                }
            }
        } catch (Exception e) {
            throw new ObjectStoreException("S3: cannot list s3://" + bucket + "/" + prefix + ": " + describe(e), e);
        }
        return objects;
    }

    @Override
    public List<String> deleteAll(String bucket, List<String> keys) {
        List<String> failed = new ArrayList<>();
        for (int from = 0; from < keys.size(); from += 1000) {
            List<DeleteObject> batch = keys.subList(from, Math.min(keys.size(), from + 1000)).stream().map(DeleteObject::new).toList();
            try {
                for (Result<DeleteError> result : client.removeObjects(RemoveObjectsArgs.builder().bucket(bucket).objects(batch).build())) {
                    DeleteError error = result.get();
                    if (!"NoSuchKey".equals(error.code())) {
                        failed.add(error.objectName());
                    }
                }
            } catch (Exception e) {
                throw new ObjectStoreException("S3: cannot delete " + batch.size() + " objects in s3://" + bucket + ": " + describe(e), e);
            }
        }
        return failed;
    }

    @Override
    public List<String> pendingUploads(String bucket, String key) {
        List<String> ids = new ArrayList<>();
        var response = call("list uploads of", bucket, key,
                () -> client.listMultipartUploadsAsync(bucket, region, null, null, key, 1000, null, null, null, null));
        for (Upload upload : response.result().uploads()) {
            if (upload.objectName().equals(key)) {
                ids.add(upload.uploadId());
            }
        }
        return ids;
    }

    private interface AsyncCall<T> {
        CompletableFuture<T> start() throws Exception;
    }

    private static <T> T call(String action, String bucket, String key, AsyncCall<T> call) {
        try {
            return call.start().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            while (cause instanceof java.util.concurrent.CompletionException && cause.getCause() != null) {
                cause = cause.getCause();
            }
            throw new ObjectStoreException("S3: cannot " + action + " s3://" + bucket + "/" + key + ": " + describe(cause), cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ObjectStoreException("interrupted while trying to " + action + " s3://" + bucket + "/" + key, e);
        } catch (Exception e) {
            throw new ObjectStoreException("S3: cannot " + action + " s3://" + bucket + "/" + key + ": " + describe(e), e);
        }
    }

    private static String describe(Throwable cause) {
        if (cause instanceof ErrorResponseException error) {
            return error.errorResponse().code() + " (" + error.errorResponse().message() + ")";
        }
        return cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
    }
}
