package dev.lifeboat.agent.member;

/** A member restore or rollback cannot go on; the message is the reason the agent answers with. */
public class MemberRestoreException extends RuntimeException {

    public MemberRestoreException(String message) {
        super(message);
    }
}
