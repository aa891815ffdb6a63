package dev.lifeboat.events.api;

import io.quarkus.logging.Log;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;

/** The JSON body of every error answer: what is wrong and, for a bad request, which field. */
public record ApiError(int status, String error, String field) {

    /** 400 for a broken rule, with the field. */
    @Provider
    public static class InvalidRequestMapper implements ExceptionMapper<InvalidRequestException> {
        @Override
        public Response toResponse(InvalidRequestException e) {
            return Response.status(400).type(MediaType.APPLICATION_JSON).entity(new ApiError(400, e.getMessage(), e.field())).build();
        }
    }

    /** 404, 409 and other answers raised as WebApplicationException, with their message. */
    @Provider
    public static class WebApplicationMapper implements ExceptionMapper<WebApplicationException> {
        @Override
        public Response toResponse(WebApplicationException e) {
            int status = e.getResponse().getStatus();
            if (status >= 500) {
                Log.errorf(e, "request failed");
            }
            return Response.status(status).type(MediaType.APPLICATION_JSON).entity(new ApiError(status, e.getMessage(), null)).build();
        }
    }
}
