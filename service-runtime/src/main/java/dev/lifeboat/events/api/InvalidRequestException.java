package dev.lifeboat.events.api;

/** A request body or parameter that breaks a rule; answered with 400 naming the field. */
public class InvalidRequestException extends RequestRefusedException {

    public InvalidRequestException(String field, String message) {
        super(400, field, message);
    }
}
