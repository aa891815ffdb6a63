package dev.lifeboat.events.api;

import java.util.UUID;

import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;

import dev.lifeboat.events.Ids;
import io.quarkus.logging.Log;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import jakarta.validation.ConstraintViolation;
import jakarta.validation.ConstraintViolationException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/**
 * The one exception mapper of every service: each failure becomes an {@link ApiError} with the right status.
 * Refusals keep their own words; unreadable bodies name the field (an unknown field is refused, so a typo like
 * {@code dryrun} never runs a real restore); a missing or bad token is 401, a role or cluster the token lacks
 * 403; anything unexpected is 500 with an id to find the stack trace in the service's log, never in the body.
 */
public class ApiErrors {

    @ServerExceptionMapper
    public Response refused(RequestRefusedException e) {
        return answer(e.status(), e.getMessage(), e.field());
    }

    @ServerExceptionMapper
    public Response invalidId(Ids.InvalidIdException e) {
        return answer(400, e.getMessage(), e.field());
    }

    @ServerExceptionMapper
    public Response invalidBody(ConstraintViolationException e) {
        ConstraintViolation<?> first = e.getConstraintViolations().stream()
                .min((a, b) -> a.getPropertyPath().toString().compareTo(b.getPropertyPath().toString())).orElse(null);
        if (first == null) {
            return answer(400, "the request is not valid", null);
        }
        String field = field(first.getPropertyPath().toString());
        return answer(400, field + " " + first.getMessage(), field);
    }

    @ServerExceptionMapper
    public Response unknownField(UnrecognizedPropertyException e) {
        String field = path(e);
        return answer(400, "unknown field '" + field + "'" + (e.getKnownPropertyIds() == null || e.getKnownPropertyIds().isEmpty() ? ""
                : "; known fields: " + e.getKnownPropertyIds()), field);
    }

    @ServerExceptionMapper
    public Response wrongType(InvalidFormatException e) {
        String field = path(e);
        return answer(400, field + " must be " + kind(e.getTargetType()) + ", not " + shown(e.getValue()), field);
    }

    @ServerExceptionMapper
    public Response unreadable(JsonProcessingException e) {
        String field = e instanceof JsonMappingException mapping && !mapping.getPath().isEmpty() ? path(mapping) : null;
        return answer(400, field == null ? "the body is not valid JSON for this request" : field + " cannot be read from the body", field);
    }

    @ServerExceptionMapper
    public Response unauthorized(UnauthorizedException e) {
        return unauthenticated();
    }

    @ServerExceptionMapper
    public Response authenticationFailed(AuthenticationFailedException e) {
        return unauthenticated();
    }

    @ServerExceptionMapper
    public Response forbidden(ForbiddenException e) {
        String message = e.getMessage() == null || e.getMessage().isBlank()
                ? "your token's roles do not allow this (viewer reads; operator backs up and sets policies; restorer restores and downloads; "
                        + "admin registers clusters)"
                : e.getMessage();
        return answer(403, message, null);
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e) {
        int status = e.getResponse().getStatus();
        if (status >= 500) {
            return internal(e);
        }
        return answer(status, e.getMessage(), null);
    }

    @ServerExceptionMapper
    public Response unexpected(Exception e) {
        return internal(e);
    }

    private static Response internal(Throwable e) {
        String id = UUID.randomUUID().toString();
        Log.errorf(e, "request failed (error id %s)", id);
        return answer(500, "internal error (id " + id + "); the service's log has the details", null);
    }

    private static Response unauthenticated() {
        return Response.status(401).header("WWW-Authenticate", "Bearer").type(MediaType.APPLICATION_JSON)
                .entity(new ApiError(401, "a valid bearer token is required (Authorization: Bearer <token>)", null)).build();
    }

    static Response answer(int status, String message, String field) {
        return Response.status(status).type(MediaType.APPLICATION_JSON).entity(new ApiError(status, message, field)).build();
    }

    /** {@code register.request.reason} (method, parameter, property…) → {@code reason}. */
    private static String field(String propertyPath) {
        String[] nodes = propertyPath.split("\\.", 3);
        return nodes.length == 3 ? nodes[2] : nodes[nodes.length - 1];
    }

    private static String path(JsonMappingException e) {
        StringBuilder path = new StringBuilder();
        for (JsonMappingException.Reference reference : e.getPath()) {
            if (reference.getFieldName() != null) {
                path.append(path.length() == 0 ? "" : ".").append(reference.getFieldName());
            } else if (reference.getIndex() >= 0) {
                path.append('[').append(reference.getIndex()).append(']');
            }
        }
        return path.toString();
    }

    private static String kind(Class<?> type) {
        if (type == null) {
            return "of another type";
        }
        if (Number.class.isAssignableFrom(type) || type == long.class || type == int.class) {
            return "a whole number";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        if (type == java.time.Instant.class) {
            return "an RFC 3339 time like 2026-12-01T10:00:00Z";
        }
        return "a " + type.getSimpleName();
    }

    private static String shown(Object value) {
        String text = String.valueOf(value);
        return "'" + (text.length() > 64 ? text.substring(0, 64) + "…" : text) + "'";
    }
}
