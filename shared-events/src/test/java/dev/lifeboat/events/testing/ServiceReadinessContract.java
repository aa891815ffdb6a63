package dev.lifeboat.events.testing;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.List;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import io.agroal.api.AgroalDataSource;
import jakarta.inject.Inject;

/**
 * What every Lifeboat service does once started against the local stack: it reports ready, and its
 * schema holds the outbox and processed-event tables. A service's test extends this with
 * {@code @QuarkusTest} and {@code @WithTestResource(LocalStackResource.class)}.
 */
public abstract class ServiceReadinessContract {

    @Inject
    AgroalDataSource db;

    @ConfigProperty(name = "lifeboat.events.schema")
    String schema;

    @Test
    void reportsReadyWithItsDatabaseAndKafka() {
        given().when().get("/q/health/ready")
                .then().statusCode(200).body("status", equalTo("UP"));
    }

    @Test
    void migratedTheEventTablesIntoItsOwnSchema() throws Exception {
        try (Connection connection = db.getConnection();
                PreparedStatement query = connection.prepareStatement("""
                        select table_name from information_schema.tables
                        where table_schema = ? and table_name in ('outbox_event', 'processed_event') order by table_name""")) {
            query.setString(1, schema);
            try (ResultSet tables = query.executeQuery()) {
                List<String> names = new java.util.ArrayList<>();
                while (tables.next()) {
                    names.add(tables.getString(1));
                }
                assertEquals(List.of("outbox_event", "processed_event"), names);
            }
        }
    }
}
