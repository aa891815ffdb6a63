package dev.lifeboat.events.api;

/**
 * The JSON body of every error answer of every Lifeboat service: the status, what is wrong in words a person
 * understands, and for a bad request the field at fault. Never a stack trace, a secret or a value pasted
 * where a reference belongs. {@link ApiErrors} turns every failure into one.
 */
public record ApiError(int status, String error, String field) {
}
