package dev.lifeboat.events.testing;

import java.util.ArrayList;
import java.util.List;

import dev.lifeboat.stack.LocalStack;
import io.restassured.RestAssured;
import io.restassured.filter.Filter;
import io.restassured.filter.FilterContext;
import io.restassured.response.Response;
import io.restassured.specification.FilterableRequestSpecification;
import io.restassured.specification.FilterableResponseSpecification;

/**
 * Makes every REST Assured call of the test JVM carry an admin token of the stack, unless the call gives its own
 * Authorization header (or {@code given().noFilters()} sends none).
 */
public final class RestAssuredTokens {

    private RestAssuredTokens() {
    }

    /**
     * Installs the stack's admin token, replacing the token of an earlier stack: a Quarkus test that restarts the
     * application starts a new stack with new keys (in a new class loader), while REST Assured's filters stay.
     */
    public static synchronized String useAdminTokenOf(LocalStack stack) {
        String token = stack.adminToken();
        List<Filter> others = new ArrayList<>();
        for (Filter filter : RestAssured.filters()) {
            if (!filter.getClass().getName().equals(AdminToken.class.getName())) {
                others.add(filter);
            }
        }
        others.add(new AdminToken(token));
        RestAssured.replaceFiltersWith(others);
        return token;
    }

    /** Adds the token to a call that has no Authorization header. */
    private record AdminToken(String token) implements Filter {

        @Override
        public Response filter(FilterableRequestSpecification request, FilterableResponseSpecification response, FilterContext context) {
            if (!request.getHeaders().hasHeaderWithName("Authorization")) {
                request.header("Authorization", "Bearer " + token);
            }
            return context.next(request, response);
        }
    }
}
