package jp.tsunagu.chat.attachment;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;

import net.coobird.thumbnailator.Thumbnails;
import org.apache.commons.imaging.Imaging;
import org.apache.commons.imaging.common.ImageMetadata;
import org.apache.commons.imaging.formats.jpeg.JpegImageMetadata;
import org.apache.commons.imaging.formats.tiff.TiffField;
import org.apache.commons.imaging.formats.tiff.constants.TiffTagConstants;
import org.apache.tika.Tika;
import org.apache.tika.detect.Detector;
import org.apache.tika.io.TikaInputStream;
import org.apache.tika.metadata.Metadata;

/**
 * Checks an uploaded photo or file before a care room stores it: detects the real type from the
 * content, refuses types a room does not accept, removes privacy metadata and makes a thumbnail.
 *
 * <p>What happens per type:
 * <ul>
 *   <li><b>JPEG</b>: every APP1 (EXIF, which holds GPS and the camera make/serial, and XMP, also
 *       extended XMP), APP13 (IPTC/Photoshop) and COM segment is removed, as is anything after the
 *       end-of-image marker (motion-photo videos and vendor trailers live there). Only the segments
 *       a decoder needs are kept: APP0 JFIF, APP2 ICC profile, APP14 Adobe and the non-APP
 *       segments. If the EXIF orientation is not 1, the pixels are rotated/flipped to match and
 *       re-encoded as JPEG quality 0.9 (this also drops the ICC profile);
 *       otherwise the image data is kept bit for bit.</li>
 *   <li><b>PNG</b>: re-encoded without metadata if it has {@code eXIf}, {@code tEXt}, {@code iTXt}
 *       or {@code zTXt} chunks or bytes after {@code IEND}; otherwise kept byte for byte.</li>
 *   <li><b>GIF</b>: kept byte for byte (comment extensions are not removed).</li>
 *   <li><b>WebP, PDF, plain text</b>: kept byte for byte, no thumbnail, no dimensions: JDK
 *       ImageIO cannot decode WebP. <b>Their metadata is not removed</b>; a PDF keeps its author
 *       fields.</li>
 *   <li><b>HEIC</b> is refused: a phone's HEIC photo carries GPS in EXIF and nothing available here
 *       can rewrite it. Browsers convert camera photos to JPEG for {@code image/*} file inputs.</li>
 * </ul>
 * JPEG, PNG and GIF get a JPEG thumbnail whose longest edge is at most the configured size (never
 * upscaled; transparency is flattened onto white) and report their width and height.
 *
 * <p>Errors: a type outside {@link #ALLOWED_TYPES}, an image that does not decode, or one larger
 * than {@code MAX_PIXELS} (64 million) pixels is refused with {@link UnsupportedMediaTypeException};
 * {@link IOException} means the file system failed, not the upload. CMYK JPEGs (some print and
 * Photoshop exports) are among the refused, because JDK ImageIO cannot decode them.
 *
 * <p>Blocking and CPU-heavy (a 12 MP photo is decoded in full): call it off the event loop, e.g. on
 * {@code Schedulers.boundedElastic()}. Instances hold no mutable state and are thread-safe. Whole
 * images are held in memory, so the upload size must be limited before this is called.
 */
public final class MediaInspector {

    /** Types a care room accepts; anything else is refused (HTTP layer maps to 415). */
    public static final Set<String> ALLOWED_TYPES = Set.of(
            "image/jpeg", "image/png", "image/gif", "image/webp",
            "application/pdf", "text/plain");

    /**
     * Quality for JPEGs re-encoded after rotation: the ~0.9 the attachment spec asks for, which is
     * visually lossless for photos (ImageIO's own default is 0.75).
     */
    static final float JPEG_QUALITY = 0.9f;

    /** Thumbnails are only previews, so they trade a little more quality for size; chosen, not measured. */
    static final float THUMBNAIL_QUALITY = 0.8f;

    /**
     * Largest image decoded, in pixels: a bit above the 48–50 MP full-resolution modes of common
     * phone cameras (12 MP is their default). It caps one decode at about 256 MB (4 bytes a pixel),
     * so a forged header that claims a huge canvas cannot exhaust the heap. Chosen, not measured.
     */
    static final long MAX_PIXELS = 64_000_000L;

    private static final Set<String> DECODED_TYPES = Set.of("image/jpeg", "image/png", "image/gif");

    /** Suffixes only make temp files easier to recognise; nothing reads them back. */
    private static final Map<String, String> SUFFIXES = Map.of(
            "image/jpeg", ".jpg", "image/png", ".png", "image/gif", ".gif", "image/webp", ".webp",
            "image/heic", ".heic", "application/pdf", ".pdf", "text/plain", ".txt");

    /** PNG chunks that carry free text (PNG 2nd edition, ISO/IEC 15948, 11.3.4) or EXIF (eXIf, PNG 3rd edition). */
    private static final Set<String> PNG_METADATA_CHUNKS = Set.of("eXIf", "tEXt", "iTXt", "zTXt");

    // Tika's default detector is thread-safe; building it runs the service loader, so do it once.
    private static final Detector DETECTOR = new Tika().getDetector();

    private final int thumbnailMaxEdgePx;

    /**
     * @param thumbnailMaxEdgePx longest edge of a thumbnail in pixels, e.g. 320
     * @throws IllegalArgumentException if it is not positive
     */
    public MediaInspector(int thumbnailMaxEdgePx) {
        if (thumbnailMaxEdgePx <= 0) {
            throw new IllegalArgumentException("thumbnailMaxEdgePx must be positive: " + thumbnailMaxEdgePx);
        }
        this.thumbnailMaxEdgePx = thumbnailMaxEdgePx;
    }

    /**
     * Detects the type from content only (magic bytes), never from the name.
     *
     * @return the base media type without parameters, e.g. {@code image/jpeg};
     *         {@code application/octet-stream} if nothing matches
     * @throws IOException if the file cannot be read
     */
    public String sniff(Path file) throws IOException {
        // No resource name in the metadata and a stream without a path, so the name cannot vote.
        try (InputStream in = TikaInputStream.get(Files.newInputStream(file))) {
            return DETECTOR.detect(in, new Metadata()).getBaseType().toString();
        }
    }

    /**
     * Sniffs, refuses disallowed types, removes privacy metadata and makes a thumbnail. The upload
     * itself is not changed; the sanitised file and thumbnail are new temp files in the upload's
     * directory, which the caller owns and must delete. Nothing is left behind when this throws.
     *
     * @throws UnsupportedMediaTypeException if the type is not in {@link #ALLOWED_TYPES}, or the
     *         content claims to be JPEG/PNG/GIF but does not decode or exceeds {@code MAX_PIXELS} pixels
     * @throws IOException if reading the upload or writing the results fails
     */
    public Inspected inspect(Path upload) throws IOException {
        String type = sniff(upload);
        if (!ALLOWED_TYPES.contains(type)) {
            throw new UnsupportedMediaTypeException(type, "type " + type + " is not accepted in a care room");
        }
        Path dir = upload.toAbsolutePath().getParent();
        Path sanitised = Files.createTempFile(dir, "sanitised-", SUFFIXES.get(type));
        Path thumbnail = null;
        try {
            if (!DECODED_TYPES.contains(type)) {
                Files.copy(upload, sanitised, StandardCopyOption.REPLACE_EXISTING); // the temp file exists already
                return new Inspected(type, sanitised, Files.size(sanitised), Optional.empty(), null, null);
            }
            byte[] original = Files.readAllBytes(upload);
            BufferedImage image = decode(original, type);
            switch (type) {
                case "image/jpeg" -> {
                    int orientation = exifOrientation(original);
                    if (orientation == 1) {
                        Files.write(sanitised, stripJpeg(original));
                    } else {
                        image = orient(image, orientation);
                        writeJpeg(image, JPEG_QUALITY, sanitised);
                    }
                }
                case "image/png" -> {
                    if (pngHasMetadata(original)) {
                        writePng(image, sanitised);
                    } else {
                        Files.write(sanitised, original);
                    }
                }
                default -> Files.write(sanitised, original); // GIF
            }
            thumbnail = Files.createTempFile(dir, "thumb-", ".jpg");
            writeJpeg(thumbnailOf(image), THUMBNAIL_QUALITY, thumbnail);
            return new Inspected(type, sanitised, Files.size(sanitised), Optional.of(thumbnail),
                    image.getWidth(), image.getHeight());
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(sanitised);
            if (thumbnail != null) {
                Files.deleteIfExists(thumbnail);
            }
            throw e;
        }
    }

    /**
     * Result of {@link #inspect}.
     *
     * @param contentType detected type, one of {@link #ALLOWED_TYPES}
     * @param sanitised   new file with the content to store
     * @param size        size of {@code sanitised} in bytes
     * @param thumbnail   JPEG thumbnail; empty for types that are not decoded
     * @param width       pixel width after orientation; {@code null} for types that are not decoded
     * @param height      pixel height after orientation; {@code null} for types that are not decoded
     */
    public record Inspected(String contentType, Path sanitised, long size, Optional<Path> thumbnail,
                            Integer width, Integer height) {
    }

    /** The upload's content is of a type a care room refuses, or is damaged. */
    public static final class UnsupportedMediaTypeException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final String detectedType;

        public UnsupportedMediaTypeException(String detectedType, String message) {
            super(message);
            this.detectedType = detectedType;
        }

        public UnsupportedMediaTypeException(String detectedType, String message, Throwable cause) {
            super(message, cause);
            this.detectedType = detectedType;
        }

        /** Type detected from the content, e.g. {@code application/zip} or {@code image/jpeg} for a damaged JPEG. */
        public String detectedType() {
            return detectedType;
        }
    }

    // ---- decoding ------------------------------------------------------------------------------

    /** Decodes with the reader for the sniffed type only, so a file is never decoded as something else. */
    private static BufferedImage decode(byte[] bytes, String type) {
        Iterator<ImageReader> readers = ImageIO.getImageReadersByMIMEType(type);
        if (!readers.hasNext()) {
            throw new IllegalStateException("JDK has no ImageIO reader for " + type);
        }
        ImageReader reader = readers.next();
        // Memory-backed stream: ImageIO would otherwise cache stream input in temp files.
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
            reader.setInput(in, true, true);
            long pixels = (long) reader.getWidth(0) * reader.getHeight(0);
            if (pixels > MAX_PIXELS) {
                throw new UnsupportedMediaTypeException(type,
                        "image has " + pixels + " pixels, more than the " + MAX_PIXELS + " accepted");
            }
            BufferedImage image = reader.read(0);
            if (image == null) {
                throw new IOException("reader returned no image");
            }
            return image;
        } catch (UnsupportedMediaTypeException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            // Readers throw IIOException but also IndexOutOfBounds and similar on crafted input.
            throw new UnsupportedMediaTypeException(type,
                    "content starts like " + type + " but does not decode: " + e.getMessage(), e);
        } finally {
            reader.dispose();
        }
    }

    // ---- JPEG ----------------------------------------------------------------------------------

    /** EXIF orientation 1–8, or 1 if absent or unreadable: then the pixels are shown as stored. */
    static int exifOrientation(byte[] jpeg) {
        try {
            ImageMetadata metadata = Imaging.getMetadata(jpeg);
            if (metadata instanceof JpegImageMetadata jpegMetadata && jpegMetadata.getExif() != null) {
                TiffField field = jpegMetadata.findExifValueWithExactMatch(TiffTagConstants.TIFF_TAG_ORIENTATION);
                if (field != null) {
                    int value = field.getIntValue();
                    return value >= 1 && value <= 8 ? value : 1;
                }
            }
            return 1;
        } catch (IOException | RuntimeException e) {
            // A damaged EXIF block is removed anyway; it only costs the rotation.
            return 1;
        }
    }

    /**
     * Turns stored pixels into display orientation, per the EXIF 2.3 Orientation tag (0x0112):
     * 2 mirror, 3 rotate 180, 4 flip, 5 transpose, 6 rotate 90 CW, 7 transverse, 8 rotate 270 CW.
     */
    static BufferedImage orient(BufferedImage src, int orientation) {
        int w = src.getWidth();
        int h = src.getHeight();
        boolean swap = orientation >= 5;
        // Same colour model as the source, so grey stays grey and the writer sees the same layout.
        WritableRaster dst = src.getRaster().createCompatibleWritableRaster(swap ? h : w, swap ? w : h);
        Raster in = src.getRaster();
        Object pixel = null;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                pixel = in.getDataElements(x, y, pixel);
                switch (orientation) {
                    case 2 -> dst.setDataElements(w - 1 - x, y, pixel);
                    case 3 -> dst.setDataElements(w - 1 - x, h - 1 - y, pixel);
                    case 4 -> dst.setDataElements(x, h - 1 - y, pixel);
                    case 5 -> dst.setDataElements(y, x, pixel);
                    case 6 -> dst.setDataElements(h - 1 - y, x, pixel);
                    case 7 -> dst.setDataElements(h - 1 - y, w - 1 - x, pixel);
                    case 8 -> dst.setDataElements(y, w - 1 - x, pixel);
                    default -> dst.setDataElements(x, y, pixel);
                }
            }
        }
        return new BufferedImage(src.getColorModel(), dst, src.isAlphaPremultiplied(), null);
    }

    private static final int SOI = 0xD8;
    private static final int EOI = 0xD9;
    private static final int SOS = 0xDA;
    private static final int TEM = 0x01;
    private static final int APP0 = 0xE0;
    private static final int APP2 = 0xE2;
    private static final int APP14 = 0xEE;
    private static final int APP15 = 0xEF;
    private static final int COM = 0xFE;

    /**
     * Copies a JPEG keeping only what decoding needs (see the class comment), without touching the
     * image data. Own walk rather than Commons Imaging's rewriters: those match only the standard
     * EXIF/XMP/Photoshop identifiers (extended XMP, which can hold whole depth-map images, stays)
     * and copy everything after the first scan verbatim, trailers included.
     * Marker syntax per ITU-T T.81 annex B.
     */
    static byte[] stripJpeg(byte[] in) {
        if (in.length < 4 || u8(in, 0) != 0xFF || u8(in, 1) != SOI) {
            throw damagedJpeg("no start-of-image marker");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(in.length);
        out.write(in, 0, 2);
        int p = 2;
        while (true) {
            if (p >= in.length) {
                throw damagedJpeg("ends before the image data");
            }
            if (u8(in, p) != 0xFF) {
                throw damagedJpeg("expected a marker at offset " + p);
            }
            while (p < in.length && u8(in, p) == 0xFF) {
                p++; // any number of 0xFF fill bytes may precede a marker (T.81 B.1.1.2)
            }
            if (p >= in.length) {
                throw damagedJpeg("ends inside a marker");
            }
            int marker = u8(in, p++);
            if (marker == EOI) {
                out.write(0xFF);
                out.write(EOI);
                return out.toByteArray(); // whatever follows is not part of the image
            }
            if (marker == TEM || (marker >= 0xD0 && marker <= 0xD7)) {
                out.write(0xFF);
                out.write(marker); // stand-alone markers have no length
                continue;
            }
            if (p + 2 > in.length) {
                throw damagedJpeg("ends inside a segment length");
            }
            int length = (u8(in, p) << 8) | u8(in, p + 1); // counts its own two bytes
            if (length < 2 || p + length > in.length) {
                throw damagedJpeg("segment 0x" + Integer.toHexString(marker) + " runs past the end");
            }
            if (keepSegment(marker, in, p + 2, length - 2)) {
                out.write(0xFF);
                out.write(marker);
                out.write(in, p, length);
            }
            p += length;
            if (marker == SOS) {
                int start = p;
                p = endOfEntropyData(in, p);
                out.write(in, start, p - start);
                if (p >= in.length) {
                    return out.toByteArray(); // no EOI: decoders accept that, so keep what is there
                }
            }
        }
    }

    /** Index of the 0xFF starting the next real marker after entropy-coded data, or the length. */
    private static int endOfEntropyData(byte[] in, int p) {
        while (p + 1 < in.length) {
            if (u8(in, p) == 0xFF) {
                int next = u8(in, p + 1);
                if (next == 0x00 || (next >= 0xD0 && next <= 0xD7)) {
                    p += 2; // stuffed 0xFF data byte or a restart marker: still image data
                    continue;
                }
                return p;
            }
            p++;
        }
        return in.length;
    }

    private static boolean keepSegment(int marker, byte[] in, int data, int length) {
        if (marker == COM) {
            return false;
        }
        if (marker < APP0 || marker > APP15) {
            return true; // tables, frame and scan headers
        }
        return switch (marker) {
            case APP0 -> startsWith(in, data, length, "JFIF\0");
            case APP2 -> startsWith(in, data, length, "ICC_PROFILE\0");
            case APP14 -> startsWith(in, data, length, "Adobe"); // its transform flag tells RGB from YCbCr
            default -> false; // EXIF, XMP, IPTC, MPF and vendor data
        };
    }

    private static UnsupportedMediaTypeException damagedJpeg(String why) {
        return new UnsupportedMediaTypeException("image/jpeg", "damaged JPEG: " + why);
    }

    // ---- PNG -----------------------------------------------------------------------------------

    /**
     * Whether a PNG holds text/EXIF chunks, bytes after IEND or a broken chunk list (chunk layout per
     * PNG 2nd edition 5.3: 4-byte length, 4-byte type, data, 4-byte CRC). Broken structure answers true so
     * the file is rebuilt from the decoded pixels rather than stored as it came.
     */
    static boolean pngHasMetadata(byte[] png) {
        int p = 8; // signature
        while (p + 8 <= png.length) {
            long length = ((long) u8(png, p) << 24) | (u8(png, p + 1) << 16) | (u8(png, p + 2) << 8) | u8(png, p + 3);
            String type = new String(png, p + 4, 4, StandardCharsets.ISO_8859_1);
            if (PNG_METADATA_CHUNKS.contains(type)) {
                return true;
            }
            long next = p + 12L + length;
            if (type.equals("IEND")) {
                return next != png.length;
            }
            if (next > png.length) {
                return true;
            }
            p = (int) next;
        }
        return true;
    }

    private static void writePng(BufferedImage image, Path target) throws IOException {
        // With no metadata argument ImageIO writes only the chunks the pixels need.
        try (OutputStream out = Files.newOutputStream(target)) {
            if (!ImageIO.write(image, "png", out)) {
                throw new IllegalStateException("JDK has no ImageIO PNG writer for this image type");
            }
        }
    }

    // ---- output --------------------------------------------------------------------------------

    private BufferedImage thumbnailOf(BufferedImage image) throws IOException {
        BufferedImage small = image;
        if (Math.max(image.getWidth(), image.getHeight()) > thumbnailMaxEdgePx) {
            // size() alone also enlarges small images, hence the check above.
            small = Thumbnails.of(image).size(thumbnailMaxEdgePx, thumbnailMaxEdgePx).asBufferedImage();
        }
        return flattenToRgb(small);
    }

    /** JPEG has no alpha and ImageIO writes odd colours for ARGB input, so paint onto white first. */
    private static BufferedImage flattenToRgb(BufferedImage image) {
        BufferedImage rgb = new BufferedImage(image.getWidth(), image.getHeight(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = rgb.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, image.getWidth(), image.getHeight());
            g.drawImage(image, 0, 0, null);
        } finally {
            g.dispose();
        }
        return rgb;
    }

    /** Writes a baseline JFIF: ImageIO adds no EXIF, XMP or comment when given no metadata. */
    private static void writeJpeg(BufferedImage image, float quality, Path target) throws IOException {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        try (OutputStream file = Files.newOutputStream(target);
             ImageOutputStream out = new MemoryCacheImageOutputStream(file)) {
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionQuality(quality);
            writer.setOutput(out);
            writer.write(null, new IIOImage(image, null, null), param);
        } finally {
            writer.dispose();
        }
    }

    // ---- bytes ---------------------------------------------------------------------------------

    private static int u8(byte[] b, int i) {
        return b[i] & 0xFF;
    }

    private static boolean startsWith(byte[] b, int offset, int length, String prefix) {
        byte[] p = prefix.getBytes(StandardCharsets.ISO_8859_1);
        if (length < p.length) {
            return false;
        }
        for (int i = 0; i < p.length; i++) {
            if (b[offset + i] != p[i]) {
                return false;
            }
        }
        return true;
    }
}
