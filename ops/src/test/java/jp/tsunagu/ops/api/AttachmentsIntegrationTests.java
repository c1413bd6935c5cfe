package jp.tsunagu.ops.api;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Map;

import javax.imageio.ImageIO;

import org.apache.commons.imaging.Imaging;
import org.apache.commons.imaging.formats.jpeg.exif.ExifRewriter;
import org.apache.commons.imaging.formats.tiff.write.TiffOutputSet;
import org.junit.jupiter.api.Test;
import org.springframework.core.io.ByteArrayResource;
import org.springframework.http.MediaType;
import org.springframework.http.client.MultipartBodyBuilder;
import org.springframework.web.reactive.function.BodyInserters;

import jp.tsunagu.ops.support.IntegrationTestSupport;

import static org.assertj.core.api.Assertions.assertThat;

/** A visiting nurse posts a photo of a pressure sore from the resident's home. */
class AttachmentsIntegrationTests extends IntegrationTestSupport {

    @Test
    void aPhotoLosesItsLocationGetsAThumbnailAndIsReadableByMembersOnly() throws Exception {
        Team t = team();
        byte[] photo = jpegWithGps(1200, 800);
        assertThat(Imaging.getMetadata(photo)).as("fixture carries EXIF").isNotNull();

        Map<?, ?> uploaded = upload(t, photo, "IMG_0001.jpg").expectStatus().isCreated()
                .expectBody(Map.class).returnResult().getResponseBody();
        assertThat(uploaded.get("contentType")).isEqualTo("image/jpeg");
        assertThat(uploaded.get("width")).isEqualTo(1200);
        String id = (String) uploaded.get("id");

        Map<?, ?> message = as(t.nurse()).post().uri("/api/v1/rooms/{r}/messages", t.roomId())
                .contentType(MediaType.APPLICATION_JSON).bodyValue(Map.of("text", "仙骨部の褥瘡です", "attachmentIds", List.of(id)))
                .exchange().expectStatus().isCreated().expectBody(Map.class).returnResult().getResponseBody();
        assertThat((List<?>) message.get("attachments")).hasSize(1);

        byte[] downloaded = as(t.doctor()).get().uri("/api/v1/attachments/{a}", id).exchange().expectStatus().isOk()
                .expectHeader().contentType(MediaType.IMAGE_JPEG)
                .expectHeader().valueEquals("X-Content-Type-Options", "nosniff")
                .expectBody(byte[].class).returnResult().getResponseBody();
        assertThat(Imaging.getMetadata(downloaded)).as("no EXIF, so no GPS").isNull();
        assertThat(new String(downloaded, java.nio.charset.StandardCharsets.ISO_8859_1)).doesNotContain("TsunaguCam");
        BufferedImage thumb = ImageIO.read(new java.io.ByteArrayInputStream(as(t.family()).get()
                .uri("/api/v1/attachments/{a}/thumbnail", id).exchange().expectStatus().isOk()
                .expectBody(byte[].class).returnResult().getResponseBody()));
        assertThat(Math.max(thumb.getWidth(), thumb.getHeight())).isEqualTo(320);

        as(t.otherFacilityStranger()).get().uri("/api/v1/attachments/{a}", id).exchange().expectStatus().isNotFound();
    }

    @Test
    void theTypeIsDecidedByContentNotByName() {
        Team t = team();
        byte[] elf = new byte[64];
        elf[0] = 0x7F; elf[1] = 'E'; elf[2] = 'L'; elf[3] = 'F'; elf[4] = 2; elf[5] = 1; elf[6] = 1;
        upload(t, elf, "photo.jpg").expectStatus().isEqualTo(415)
                .expectBody().jsonPath("$.errors[0].field").isEqualTo("file");
    }

    @Test
    void anotherMembersAttachmentCannotBeAttached() throws Exception {
        Team t = team();
        String id = (String) upload(t, jpegWithGps(50, 40), "a.jpg").expectStatus().isCreated()
                .expectBody(Map.class).returnResult().getResponseBody().get("id");
        as(t.doctor()).post().uri("/api/v1/rooms/{r}/messages", t.roomId()).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("text", "借用", "attachmentIds", List.of(id)))
                .exchange().expectStatus().isEqualTo(422).expectBody().jsonPath("$.errors[0].field").isEqualTo("attachmentIds[0]");
    }

    private org.springframework.test.web.reactive.server.WebTestClient.ResponseSpec upload(Team t, byte[] bytes, String name) {
        MultipartBodyBuilder body = new MultipartBodyBuilder();
        body.part("file", new ByteArrayResource(bytes) {
            @Override
            public String getFilename() {
                return name;
            }
        }).contentType(MediaType.APPLICATION_OCTET_STREAM);
        return as(t.nurse()).post().uri("/api/v1/rooms/{r}/attachments", t.roomId())
                .contentType(MediaType.MULTIPART_FORM_DATA).body(BodyInserters.fromMultipartData(body.build())).exchange();
    }

    /** A camera-like JPEG: EXIF with the camera make and a GPS position of a resident's home. */
    static byte[] jpegWithGps(int width, int height) throws IOException {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        var g = image.createGraphics();
        g.setColor(java.awt.Color.PINK);
        g.fillRect(0, 0, width, height);
        g.dispose();
        ByteArrayOutputStream plain = new ByteArrayOutputStream();
        ImageIO.write(image, "jpg", plain);
        TiffOutputSet exif = new TiffOutputSet();
        exif.setGpsInDegrees(139.6, 36.1);
        exif.getOrCreateRootDirectory().add(org.apache.commons.imaging.formats.tiff.constants.TiffTagConstants.TIFF_TAG_MAKE, "TsunaguCam");
        ByteArrayOutputStream withExif = new ByteArrayOutputStream();
        new ExifRewriter().updateExifMetadataLossless(plain.toByteArray(), withExif, exif);
        return withExif.toByteArray();
    }
}
