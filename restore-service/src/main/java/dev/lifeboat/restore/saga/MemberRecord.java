package dev.lifeboat.restore.saga;

import java.io.Serializable;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import io.smallrye.mutiny.Uni;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;

/**
 * One member of a REPLACE restore: the command sent to its etcd-agent and the agent's answers. Updates write only
 * the columns they change: an agent's late answer to the restore and the saga commanding the rollback touch the same
 * row at the same time, and neither may undo the other.
 */
@Entity
@org.hibernate.annotations.DynamicUpdate
@Table(name = "restore_member")
@IdClass(MemberRecord.Key.class)
public class MemberRecord extends PanacheEntityBase {

    @Id
    @Column(name = "restore_id")
    public String restoreId;

    @Id
    @Column(name = "member_name")
    public String memberName;

    /** COMMANDED, then RESTORED or FAILED. */
    @Enumerated(EnumType.STRING)
    @Column(nullable = false)
    public MemberState state;

    public Long revision;

    @Column(name = "revision_bumped")
    public Boolean revisionBumped;

    public String note;

    public String reason;

    /**
     * For a FAILED member: false when its agent put the pre-restore data dir back and etcd serves it (nothing of
     * the member changed), true when its data dir was replaced or its state is uncertain; null before an answer.
     */
    @Column(name = "data_changed")
    public Boolean dataChanged;

    /** Null, or COMMANDED, then ROLLED_BACK or FAILED. */
    @Enumerated(EnumType.STRING)
    @Column(name = "rollback_state")
    public MemberState rollbackState;

    @Column(name = "rollback_reason")
    public String rollbackReason;

    @Column(name = "updated_at", nullable = false)
    public Instant updatedAt;

    public static class Key implements Serializable {
        public String restoreId;
        public String memberName;

        public Key() {
        }

        public Key(String restoreId, String memberName) {
            this.restoreId = restoreId;
            this.memberName = memberName;
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Key that && Objects.equals(restoreId, that.restoreId) && Objects.equals(memberName, that.memberName);
        }

        @Override
        public int hashCode() {
            return Objects.hash(restoreId, memberName);
        }
    }

    /** Whether the member's agent answered that its restore failed before the data dir was touched: it has its pre-restore data. */
    public boolean unchanged() {
        return state == MemberState.FAILED && Boolean.FALSE.equals(dataChanged);
    }

    /** The members of a REPLACE restore, by name. */
    public static Uni<List<MemberRecord>> ofRestore(String restoreId) {
        return find("restoreId = ?1 order by memberName", restoreId).list();
    }
}
