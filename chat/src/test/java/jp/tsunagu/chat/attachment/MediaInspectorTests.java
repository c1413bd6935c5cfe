package jp.tsunagu.chat.attachment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.color.ColorSpace;
import java.awt.color.ICC_Profile;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import javax.imageio.ImageIO;

import jp.tsunagu.chat.attachment.MediaInspector.Inspected;
import jp.tsunagu.chat.attachment.MediaInspector.UnsupportedMediaTypeException;
import org.apache.commons.imaging.Imaging;
import org.apache.commons.imaging.common.ImageMetadata;
import org.apache.commons.imaging.formats.jpeg.JpegImageMetadata;
import org.apache.commons.imaging.formats.jpeg.exif.ExifRewriter;
import org.apache.commons.imaging.formats.jpeg.xmp.JpegXmpRewriter;
import org.apache.commons.imaging.formats.tiff.constants.TiffTagConstants;
import org.apache.commons.imaging.formats.tiff.write.TiffOutputSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Fixtures are built in code: images with ImageIO, metadata with Commons Imaging or by hand. */
class MediaInspectorTests {

    private static final String SECRET_MAKE = "TsunaguSecretCam";

    @TempDir
    Path dir;

    private final MediaInspector inspector = new MediaInspector(320);

    // ---- JPEG metadata ---------------------------------------------------------------------------

    @Test
    void jpegLosesExifWithGpsAndMakeAndKeepsImageDataBitForBit() throws Exception {
        byte[] plain = jpeg(gradient(64, 48));
        TiffOutputSet exif = new TiffOutputSet();
        exif.getOrCreateRootDirectory().add(TiffTagConstants.TIFF_TAG_MAKE, SECRET_MAKE);
        exif.setGpsInDegrees(139.7671, 35.6812); // longitude, latitude: Tokyo station
        byte[] tagged = withExif(plain, exif);
        // The fixture must really carry what we want to see removed.
        JpegImageMetadata before = (JpegImageMetadata) Imaging.getMetadata(tagged);
        assertThat(before.getExif().getGpsInfo().getLatitudeAsDegreesNorth()).isCloseTo(35.68, within(0.01));
        assertThat(contains(tagged, SECRET_MAKE)).isTrue();

        Inspected result = inspector.inspect(write("IMG_0001.jpg", tagged));

        byte[] out = Files.readAllBytes(result.sanitised());
        assertThat(result.contentType()).isEqualTo("image/jpeg");
        assertThat(Imaging.getMetadata(out)).as("no EXIF/GPS left to read").isNull();
        assertThat(contains(out, SECRET_MAKE)).isFalse();
        assertThat(out).as("orientation 1 is stripped without re-encoding").isEqualTo(plain);
        assertThat(result.size()).isEqualTo(out.length);
        assertThat(result.width()).isEqualTo(64);
        assertThat(result.height()).isEqualTo(48);
    }

    @Test
    void jpegWithOrientation6IsRotatedAndLosesExif() throws Exception {
        byte[] tagged = withOrientation(jpeg(quadrants(40, 20)), 6);

        Inspected result = inspector.inspect(write("portrait.jpg", tagged));

        byte[] out = Files.readAllBytes(result.sanitised());
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(out));
        assertThat(image.getWidth()).isEqualTo(20);
        assertThat(image.getHeight()).isEqualTo(40);
        assertThat(result.width()).isEqualTo(20);
        assertThat(result.height()).isEqualTo(40);
        assertThat(Imaging.getMetadata(out)).isNull();
        assertThat(jpegSegmentMarkers(out)).doesNotContain(0xE1);
        // Rotated 90° clockwise: the stored bottom-left (blue) is now top-left.
        assertThat(colourAt(image, 5, 10)).isEqualTo("blue");
        assertThat(colourAt(image, 15, 10)).isEqualTo("red");
        assertThat(colourAt(image, 5, 30)).isEqualTo("white");
        assertThat(colourAt(image, 15, 30)).isEqualTo("green");
        BufferedImage thumb = ImageIO.read(result.thumbnail().orElseThrow().toFile());
        assertThat(thumb.getWidth()).isEqualTo(20);
        assertThat(thumb.getHeight()).isEqualTo(40);
    }

    /** Source quadrants: top-left red, top-right green, bottom-left blue, bottom-right white. */
    static Stream<Arguments> orientations() {
        return Stream.of(
                Arguments.of(1, 80, 40, "red", "green"),
                Arguments.of(2, 80, 40, "green", "red"),    // mirrored
                Arguments.of(3, 80, 40, "white", "blue"),   // rotated 180
                Arguments.of(4, 80, 40, "blue", "white"),   // flipped
                Arguments.of(5, 40, 80, "red", "blue"),     // transposed
                Arguments.of(6, 40, 80, "blue", "red"),     // rotated 90 CW
                Arguments.of(7, 40, 80, "white", "green"),  // transversed
                Arguments.of(8, 40, 80, "green", "white")); // rotated 270 CW
    }

    @ParameterizedTest(name = "orientation {0}")
    @MethodSource("orientations")
    void everyExifOrientationIsAppliedToThePixels(int orientation, int width, int height,
                                                  String topLeft, String topRight) throws Exception {
        byte[] tagged = withOrientation(jpeg(quadrants(80, 40)), orientation);

        Inspected result = inspector.inspect(write("o" + orientation + ".jpg", tagged));

        BufferedImage image = ImageIO.read(result.sanitised().toFile());
        assertThat(image.getWidth()).isEqualTo(width);
        assertThat(image.getHeight()).isEqualTo(height);
        assertThat(colourAt(image, width / 4, height / 8)).isEqualTo(topLeft);
        assertThat(colourAt(image, width * 3 / 4, height / 8)).isEqualTo(topRight);
        assertThat(Imaging.getMetadata(Files.readAllBytes(result.sanitised()))).isNull();
    }

    @Test
    void jpegLosesXmpExtendedXmpIptcCommentsAndTrailerButKeepsIccProfile() throws Exception {
        byte[] plain = jpeg(gradient(48, 32));
        byte[] icc = ICC_Profile.getInstance(ColorSpace.CS_sRGB).getData();
        byte[] dirty = withExif(plain, makeOnly());
        dirty = withSegment(dirty, 0xE2, concat(ascii("ICC_PROFILE\0"), new byte[] {1, 1}, icc));
        dirty = withSegment(dirty, 0xE1, ascii("http://ns.adobe.com/xmp/extension/\0secret-depth-map"));
        dirty = withSegment(dirty, 0xED, ascii("Photoshop 3.0\08BIM\u0004\u0004\0\0\0\0\0\u0010secret-iptc-byline"));
        dirty = withSegment(dirty, 0xFE, ascii("secret-comment"));
        ByteArrayOutputStream withXmp = new ByteArrayOutputStream();
        new JpegXmpRewriter().updateXmpXml(dirty, withXmp,
                "<x:xmpmeta xmlns:x='adobe:ns:meta/'><secret-xmp-creator/></x:xmpmeta>");
        dirty = concat(withXmp.toByteArray(), ascii("secret-motion-photo-trailer"));
        assertThat(Imaging.getXmpXml(dirty)).contains("secret-xmp-creator");
        assertThat(ImageIO.read(new ByteArrayInputStream(dirty))).as("fixture still decodes").isNotNull();

        Inspected result = inspector.inspect(write("dirty.jpg", dirty));

        byte[] out = Files.readAllBytes(result.sanitised());
        assertThat(contains(out, "secret")).isFalse();
        assertThat(contains(out, SECRET_MAKE)).isFalse();
        assertThat(jpegSegmentMarkers(out)).doesNotContain(0xE1, 0xED, 0xFE).contains(0xE0, 0xE2);
        assertThat(contains(out, "ICC_PROFILE")).isTrue();
        assertThat(Arrays.copyOfRange(out, out.length - 2, out.length)).as("ends at EOI")
                .containsExactly(0xFF, 0xD9);
        assertThat(Imaging.getXmpXml(out)).isNull();
        assertThat(ImageIO.read(new ByteArrayInputStream(out)).getWidth()).isEqualTo(48);
    }

    // ---- PNG -------------------------------------------------------------------------------------

    static Stream<Arguments> pngMetadataChunks() {
        return Stream.of(
                Arguments.of("tEXt", concat(ascii("Author\0"), ascii("secret-person"))),
                Arguments.of("zTXt", concat(ascii("Comment\0\0"), deflate(ascii("secret-person")))),
                Arguments.of("iTXt", concat(ascii("Comment\0\0\0ja\0\0"), "secret-person 介護".getBytes(StandardCharsets.UTF_8))),
                Arguments.of("eXIf", concat(new byte[] {'M', 'M', 0, 42, 0, 0, 0, 8}, ascii("secret-person"))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("pngMetadataChunks")
    void pngWithMetadataChunkIsReencodedWithoutIt(String chunk, byte[] data) throws Exception {
        BufferedImage source = gradient(30, 20);
        byte[] dirty = withPngChunk(png(source), chunk, data);
        assertThat(pngChunkTypes(dirty)).contains(chunk);

        Inspected result = inspector.inspect(write("screenshot.png", dirty));

        byte[] out = Files.readAllBytes(result.sanitised());
        assertThat(result.contentType()).isEqualTo("image/png");
        assertThat(pngChunkTypes(out)).doesNotContain("tEXt", "zTXt", "iTXt", "eXIf");
        assertThat(contains(out, "secret-person")).isFalse();
        assertThat(pixels(ImageIO.read(new ByteArrayInputStream(out)))).as("PNG stays lossless")
                .isEqualTo(pixels(source));
        assertThat(result.width()).isEqualTo(30);
        assertThat(result.thumbnail()).isPresent();
    }

    @Test
    void plainPngIsKeptByteForByte() throws Exception {
        byte[] plain = png(gradient(30, 20));

        Inspected result = inspector.inspect(write("plain.png", plain));

        assertThat(Files.readAllBytes(result.sanitised())).isEqualTo(plain);
        assertThat(result.size()).isEqualTo(plain.length);
        assertThat(result.width()).isEqualTo(30);
        assertThat(result.height()).isEqualTo(20);
    }

    @Test
    void pngWithBytesAfterIendIsReencoded() throws Exception {
        byte[] plain = png(gradient(30, 20));

        Inspected result = inspector.inspect(write("hidden.png", concat(plain, ascii("secret-appended-zip"))));

        byte[] out = Files.readAllBytes(result.sanitised());
        assertThat(contains(out, "secret")).isFalse();
        assertThat(pixels(ImageIO.read(new ByteArrayInputStream(out)))).isEqualTo(pixels(gradient(30, 20)));
    }

    @Test
    void transparentPngGetsAThumbnailOnWhite() throws Exception {
        BufferedImage clear = new BufferedImage(10, 10, BufferedImage.TYPE_INT_ARGB); // fully transparent

        Inspected result = inspector.inspect(write("clear.png", png(clear)));

        BufferedImage thumb = ImageIO.read(result.thumbnail().orElseThrow().toFile());
        assertThat(colourAt(thumb, 5, 5)).isEqualTo("white");
    }

    // ---- other accepted types --------------------------------------------------------------------

    @Test
    void gifIsKeptAndGetsAThumbnail() throws Exception {
        ByteArrayOutputStream gif = new ByteArrayOutputStream();
        ImageIO.write(gradient(50, 30), "gif", gif);

        Inspected result = inspector.inspect(write("anim.gif", gif.toByteArray()));

        assertThat(result.contentType()).isEqualTo("image/gif");
        assertThat(Files.readAllBytes(result.sanitised())).isEqualTo(gif.toByteArray());
        assertThat(result.width()).isEqualTo(50);
        assertThat(result.height()).isEqualTo(30);
        assertThat(inspector.sniff(result.thumbnail().orElseThrow())).isEqualTo("image/jpeg");
    }

    @Test
    void pdfNamedLikeAPhotoIsDetectedAsPdfAndStoredAsIs() throws Exception {
        byte[] pdf = ascii("%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n");
        Path upload = write("photo.jpg", pdf);

        assertThat(inspector.sniff(upload)).isEqualTo("application/pdf");
        Inspected result = inspector.inspect(upload);

        assertThat(result.contentType()).isEqualTo("application/pdf");
        assertThat(Files.readAllBytes(result.sanitised())).isEqualTo(pdf);
        assertThat(result.thumbnail()).isEmpty();
        assertThat(result.width()).isNull();
        assertThat(result.height()).isNull();
    }

    @Test
    void japaneseTextIsPlainText() throws Exception {
        byte[] text = "本日の様子：食事は全量摂取、午後は散歩しました。\n".getBytes(StandardCharsets.UTF_8);

        Inspected result = inspector.inspect(write("kiroku.txt", text));

        assertThat(result.contentType()).isEqualTo("text/plain");
        assertThat(Files.readAllBytes(result.sanitised())).isEqualTo(text);
        assertThat(result.thumbnail()).isEmpty();
    }

    @Test
    void webpIsStoredAsIsWithoutThumbnail() throws Exception {
        byte[] webp = concat(ascii("RIFF"), new byte[] {26, 0, 0, 0}, ascii("WEBPVP8 "), new byte[18]);

        Inspected w = inspector.inspect(write("a.webp", webp));

        assertThat(w.contentType()).isEqualTo("image/webp");
        assertThat(Files.readAllBytes(w.sanitised())).isEqualTo(webp);
        assertThat(w.thumbnail()).isEmpty();
        assertThat(w.width()).isNull();
    }

    @Test
    void heicIsRefusedBecauseItsLocationMetadataCannotBeRemovedHere() {
        byte[] heic = concat(new byte[] {0, 0, 0, 24}, ascii("ftypheic"), new byte[4], ascii("mif1heic"), new byte[32]);

        assertThatThrownBy(() -> inspector.inspect(write("b.heic", heic)))
                .isInstanceOf(MediaInspector.UnsupportedMediaTypeException.class);
    }

    // ---- refused ---------------------------------------------------------------------------------

    static Stream<Arguments> refused() throws IOException {
        byte[] elf = concat(new byte[] {0x7F, 'E', 'L', 'F', 2, 1, 1, 0}, new byte[8], new byte[] {2, 0, 0x3E, 0, 1, 0, 0, 0});
        byte[] exe = new byte[256];
        exe[0] = 'M';
        exe[1] = 'Z';
        exe[0x3C] = (byte) 0x80;
        exe[0x80] = 'P';
        exe[0x81] = 'E';
        ByteArrayOutputStream zip = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(zip)) {
            z.putNextEntry(new ZipEntry("photo.jpg"));
            z.write(new byte[] {1, 2, 3});
            z.closeEntry();
        }
        return Stream.of(
                Arguments.of("elf", elf, "application/x-executable"),
                Arguments.of("exe", exe, "application/x-msdownload"),
                Arguments.of("zip", zip.toByteArray(), "application/zip"),
                Arguments.of("html", ascii("<html><body><script>alert(1)</script></body></html>"), "text/html"),
                Arguments.of("svg", ascii("<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"/>"), "image/svg+xml"),
                Arguments.of("empty", new byte[0], "application/octet-stream"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refused")
    void disallowedContentIsRefusedWhateverItsName(String what, byte[] content, String detected) throws Exception {
        Path upload = write("photo.jpg", content);

        assertThatThrownBy(() -> inspector.inspect(upload))
                .isInstanceOfSatisfying(UnsupportedMediaTypeException.class,
                        e -> assertThat(e.detectedType()).isEqualTo(detected))
                .hasMessageContaining(detected);
        assertThat(filesIn(dir)).containsExactly(upload);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"image/jpeg", "image/png", "image/gif"})
    void imageMagicFollowedByGarbageIsRefusedCleanly(String type) throws Exception {
        byte[] magic = switch (type) {
            case "image/jpeg" -> new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, (byte) 0xE0};
            case "image/png" -> new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
            default -> ascii("GIF89a");
        };
        byte[] garbage = new byte[2000];
        new Random(42).nextBytes(garbage);
        Path upload = write("broken", concat(magic, garbage));

        assertThatThrownBy(() -> inspector.inspect(upload))
                .isInstanceOfSatisfying(UnsupportedMediaTypeException.class,
                        e -> assertThat(e.detectedType()).isEqualTo(type))
                .hasMessageContaining("does not decode");
        assertThat(filesIn(dir)).containsExactly(upload);
    }

    @Test
    void jpegCutOffInsideItsHeadersIsRefused() throws Exception {
        byte[] whole = withExif(jpeg(gradient(64, 48)), makeOnly());
        Path upload = write("cut.jpg", Arrays.copyOf(whole, 100));

        assertThatThrownBy(() -> inspector.inspect(upload)).isInstanceOf(UnsupportedMediaTypeException.class);
        assertThat(filesIn(dir)).containsExactly(upload);
    }

    @Test
    void pngDeclaringAHugeCanvasIsRefusedWithoutDecoding() throws Exception {
        byte[] bomb = png(gradient(8, 8));
        // IHDR data starts at 16: width and height, then the CRC over type and data must match.
        ByteBuffer.wrap(bomb, 16, 8).putInt(100_000).putInt(100_000);
        CRC32 crc = new CRC32();
        crc.update(bomb, 12, 17);
        ByteBuffer.wrap(bomb, 29, 4).putInt((int) crc.getValue());
        Path upload = write("bomb.png", bomb);

        assertThatThrownBy(() -> inspector.inspect(upload))
                .isInstanceOf(UnsupportedMediaTypeException.class)
                .hasMessageContaining("pixels");
    }

    // ---- thumbnails and files ----------------------------------------------------------------------

    @Test
    void thumbnailOfALargeImageHasLongestEdge320() throws Exception {
        Inspected result = inspector.inspect(write("wide.jpg", jpeg(gradient(2000, 1000))));

        Path thumbnail = result.thumbnail().orElseThrow();
        BufferedImage thumb = ImageIO.read(thumbnail.toFile());
        assertThat(inspector.sniff(thumbnail)).isEqualTo("image/jpeg");
        assertThat(thumb.getWidth()).isEqualTo(320);
        assertThat(thumb.getHeight()).isEqualTo(160);
        assertThat(result.width()).isEqualTo(2000);
        assertThat(result.height()).isEqualTo(1000);
    }

    @Test
    void thumbnailOfATallImageHasLongestEdge320() throws Exception {
        Inspected result = inspector.inspect(write("tall.png", png(gradient(500, 1000))));

        BufferedImage thumb = ImageIO.read(result.thumbnail().orElseThrow().toFile());
        assertThat(thumb.getWidth()).isEqualTo(160);
        assertThat(thumb.getHeight()).isEqualTo(320);
    }

    @Test
    void smallImageIsNotUpscaled() throws Exception {
        Inspected result = inspector.inspect(write("small.jpg", jpeg(gradient(100, 50))));

        BufferedImage thumb = ImageIO.read(result.thumbnail().orElseThrow().toFile());
        assertThat(thumb.getWidth()).isEqualTo(100);
        assertThat(thumb.getHeight()).isEqualTo(50);
    }

    @Test
    void uploadIsUntouchedAndResultsAreNewFilesBesideIt() throws Exception {
        byte[] tagged = withExif(jpeg(gradient(64, 48)), makeOnly());
        Path upload = write("upload.jpg", tagged);

        Inspected result = inspector.inspect(upload);

        assertThat(Files.readAllBytes(upload)).isEqualTo(tagged);
        assertThat(result.sanitised()).isNotEqualTo(upload).hasParent(dir);
        assertThat(result.thumbnail().orElseThrow()).hasParent(dir);
        assertThat(filesIn(dir)).hasSize(3);
    }

    @Test
    void thumbnailSizeMustBePositive() {
        assertThatThrownBy(() -> new MediaInspector(0)).isInstanceOf(IllegalArgumentException.class);
    }

    // ---- fixtures --------------------------------------------------------------------------------

    private Path write(String name, byte[] content) throws IOException {
        return Files.write(dir.resolve(name), content);
    }

    private static List<Path> filesIn(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.toList();
        }
    }

    private static BufferedImage gradient(int width, int height) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.setRGB(x, y, new Color(x * 255 / width, y * 255 / height, 128).getRGB());
            }
        }
        return image;
    }

    private static BufferedImage quadrants(int width, int height) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setColor(Color.RED);
        g.fillRect(0, 0, width / 2, height / 2);
        g.setColor(Color.GREEN);
        g.fillRect(width / 2, 0, width / 2, height / 2);
        g.setColor(Color.BLUE);
        g.fillRect(0, height / 2, width / 2, height / 2);
        g.setColor(Color.WHITE);
        g.fillRect(width / 2, height / 2, width / 2, height / 2);
        g.dispose();
        return image;
    }

    /** Nearest of the four quadrant colours, so JPEG noise does not matter. */
    private static String colourAt(BufferedImage image, int x, int y) {
        Color c = new Color(image.getRGB(x, y));
        String[] names = {"red", "green", "blue", "white"};
        Color[] colours = {Color.RED, Color.GREEN, Color.BLUE, Color.WHITE};
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (int i = 0; i < colours.length; i++) {
            int dr = c.getRed() - colours[i].getRed();
            int dg = c.getGreen() - colours[i].getGreen();
            int db = c.getBlue() - colours[i].getBlue();
            int distance = dr * dr + dg * dg + db * db;
            if (distance < bestDistance) {
                bestDistance = distance;
                best = names[i];
            }
        }
        return best;
    }

    private static int[] pixels(BufferedImage image) {
        return image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0, image.getWidth());
    }

    private static byte[] jpeg(BufferedImage image) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "jpg", out);
        return out.toByteArray();
    }

    private static byte[] png(BufferedImage image) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return out.toByteArray();
    }

    private static TiffOutputSet makeOnly() throws IOException {
        TiffOutputSet exif = new TiffOutputSet();
        exif.getOrCreateRootDirectory().add(TiffTagConstants.TIFF_TAG_MAKE, SECRET_MAKE);
        return exif;
    }

    private static byte[] withExif(byte[] jpeg, TiffOutputSet exif) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new ExifRewriter().updateExifMetadataLossless(jpeg, out, exif);
        return out.toByteArray();
    }

    private static byte[] withOrientation(byte[] jpeg, int orientation) throws IOException {
        TiffOutputSet exif = makeOnly();
        exif.getOrCreateRootDirectory().add(TiffTagConstants.TIFF_TAG_ORIENTATION, (short) orientation);
        byte[] tagged = withExif(jpeg, exif);
        ImageMetadata metadata = Imaging.getMetadata(tagged);
        assertThat(((JpegImageMetadata) metadata).findExifValueWithExactMatch(TiffTagConstants.TIFF_TAG_ORIENTATION)
                .getIntValue()).isEqualTo(orientation);
        return tagged;
    }

    /** Inserts a marker segment right after SOI and the JFIF APP0 that ImageIO writes first. */
    private static byte[] withSegment(byte[] jpeg, int marker, byte[] data) {
        int app0Length = ((jpeg[4] & 0xFF) << 8) | (jpeg[5] & 0xFF);
        int at = 4 + app0Length;
        byte[] segment = concat(new byte[] {(byte) 0xFF, (byte) marker,
                (byte) ((data.length + 2) >> 8), (byte) (data.length + 2)}, data);
        return concat(Arrays.copyOf(jpeg, at), segment, Arrays.copyOfRange(jpeg, at, jpeg.length));
    }

    /** Markers of the segments before the first scan. */
    private static List<Integer> jpegSegmentMarkers(byte[] jpeg) {
        List<Integer> markers = new ArrayList<>();
        int p = 2;
        while (p + 4 <= jpeg.length && (jpeg[p] & 0xFF) == 0xFF) {
            int marker = jpeg[p + 1] & 0xFF;
            markers.add(marker);
            if (marker == 0xDA) {
                break;
            }
            p += 2 + (((jpeg[p + 2] & 0xFF) << 8) | (jpeg[p + 3] & 0xFF));
        }
        return markers;
    }

    /** Inserts a chunk right after IHDR (8-byte signature + 25-byte IHDR chunk). */
    private static byte[] withPngChunk(byte[] png, String type, byte[] data) {
        byte[] typeAndData = concat(ascii(type), data);
        CRC32 crc = new CRC32();
        crc.update(typeAndData);
        byte[] chunk = ByteBuffer.allocate(12 + data.length)
                .putInt(data.length).put(typeAndData).putInt((int) crc.getValue()).array();
        return concat(Arrays.copyOf(png, 33), chunk, Arrays.copyOfRange(png, 33, png.length));
    }

    private static List<String> pngChunkTypes(byte[] png) {
        List<String> types = new ArrayList<>();
        int p = 8;
        while (p + 8 <= png.length) {
            int length = ByteBuffer.wrap(png, p, 4).getInt();
            types.add(new String(png, p + 4, 4, StandardCharsets.ISO_8859_1));
            p += 12 + length;
        }
        return types;
    }

    private static byte[] deflate(byte[] data) {
        Deflater deflater = new Deflater();
        deflater.setInput(data);
        deflater.finish();
        byte[] buffer = new byte[data.length + 64];
        int n = deflater.deflate(buffer);
        deflater.end();
        return Arrays.copyOf(buffer, n);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    private static boolean contains(byte[] haystack, String needle) {
        return new String(haystack, StandardCharsets.ISO_8859_1).contains(needle);
    }
}
