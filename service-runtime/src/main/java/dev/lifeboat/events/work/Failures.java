package dev.lifeboat.events.work;

import java.util.List;

/**
 * A failure as a person should read it, in timelines, events and API answers: the message alone for the
 * exceptions a module writes for people (passed as {@code explained}: they name the problem and hold no
 * secret), otherwise the exception's simple name and message. Never a stack trace.
 */
public final class Failures {

    private Failures() {
    }

    public static String reason(Throwable e, List<Class<? extends Throwable>> explained) {
        for (Class<? extends Throwable> type : explained) {
            if (type.isInstance(e)) {
                return e.getMessage();
            }
        }
        return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }
}
