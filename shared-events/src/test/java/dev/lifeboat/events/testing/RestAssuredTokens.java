package dev.lifeboat.events.testing;

import dev.lifeboat.stack.LocalStack;
import io.restassured.RestAssured;

/**
 * Makes every REST Assured call of the test JVM carry an admin token of the stack, unless the call gives its own
 * Authorization header (or {@code given().noFilters()} sends none).
 */
public final class RestAssuredTokens {

    private static volatile String adminToken;
    private static boolean installed;

    private RestAssuredTokens() {
    }

    public static synchronized String useAdminTokenOf(LocalStack stack) {
        adminToken = stack.adminToken();
        if (!installed) {
            RestAssured.filters((request, response, context) -> {
                if (!request.getHeaders().hasHeaderWithName("Authorization")) {
                    request.header("Authorization", "Bearer " + adminToken);
                }
                return context.next(request, response);
            });
            installed = true;
        }
        return adminToken;
    }
}
