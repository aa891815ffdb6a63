package dev.lifeboat.restore.saga;

import java.util.Arrays;
import java.util.List;

import dev.lifeboat.events.Ids;
import jakarta.persistence.AttributeConverter;
import jakarta.persistence.Converter;

/**
 * The column of a point-in-time restore's deltas: their ids in chain order, comma-separated (an id is a DNS
 * label, so it holds no comma). Each id is checked when written and when read; a stored value that breaks
 * the rule fails the read instead of naming deltas that do not exist.
 */
@Converter
public final class DeltaIds implements AttributeConverter<List<String>, String> {

    @Override
    public String convertToDatabaseColumn(List<String> ids) {
        if (ids == null || ids.isEmpty()) {
            return null;
        }
        ids.forEach(id -> Ids.require(id, "delta id"));
        return String.join(",", ids);
    }

    @Override
    public List<String> convertToEntityAttribute(String text) {
        if (text == null || text.isEmpty()) {
            return List.of();
        }
        return Arrays.stream(text.split(",", -1)).map(id -> Ids.require(id, "stored delta id")).toList();
    }
}
