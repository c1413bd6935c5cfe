package jp.tsunagu.chat.room;

import java.time.LocalDate;

/**
 * The person a patient room is about.
 *
 * @param externalResidentId the id other systems know this person by (e.g. the regional network's
 *                           resident number); used to match the same person across systems, unique
 */
public record Resident(String name, String kana, LocalDate birthDate, String externalResidentId) {
}
